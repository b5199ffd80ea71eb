"""Where follows and the notifications they owe are kept: the durable tier's protocols.

bot.store.follows implements them in SQL (SQLite by default, PostgreSQL for replicas).
Every method raises bot.lookup.durable.StoreUnavailable when the database fails. Times
are epoch seconds passed in by the caller (tests move them); `day` is `YYYY-MM-DD`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.follows.model import Follow, NewFollow, Notice, Notification


class FollowStore(Protocol):
    """The follows themselves."""

    async def add(self, follow: NewFollow, *, now: float) -> tuple[Follow, bool]:
        """Keep `follow`; (the follow, True) when new, (the one kept, False) when the same
        target already has a follow to the same destination (its kinds and digest are
        updated to the new ones, and it is resumed if it was paused)."""
        ...

    async def remove(self, follow_id: int) -> Follow | None:
        """Delete a follow (and what it still owed); the follow, or None if there was none."""
        ...

    async def get(self, follow_id: int) -> Follow | None: ...

    async def find(self, target_key: str, channel_id: str) -> Follow | None:
        """The follow of `target_key` (Target.key) to `channel_id`, if any."""
        ...

    async def of_customer(self, display_id: int) -> list[Follow]:
        """Active follows of this one customer."""
        ...

    async def of_segments(self) -> list[Follow]:
        """Active segment follows (their filters are matched against each change)."""
        ...

    async def digests(self) -> list[Follow]:
        """Active daily-digest follows."""
        ...

    async def in_channel(self, channel_id: str) -> list[Follow]:
        """Every follow (paused ones too) that notifies `channel_id`, oldest first."""
        ...

    async def of_user(self, user_id: str) -> list[Follow]:
        """Every follow (paused too) that notifies `user_id` personally, oldest first."""
        ...

    async def pause(self, follow_id: int, reason: str) -> bool:
        """Pause with a reason; True only when it was active (so its creator is told once)."""
        ...

    async def resume(self, follow_id: int) -> bool:
        """Resume one paused follow (a snooze ended, or Resume pressed); True if it was paused."""
        ...

    async def paused(self, reason_prefix: str) -> list[Follow]:
        """Paused follows whose reason starts with `reason_prefix` (snoozes), oldest first."""
        ...

    async def created_by(self, user_id: str) -> list[Follow]:
        """Every follow (paused too) `user_id` set up, wherever it notifies, oldest first."""
        ...

    async def pause_channel(self, channel_id: str, reason: str) -> list[Follow]:
        """Pause every active follow of a channel; the ones paused now."""
        ...

    async def resume_channel(self, channel_id: str, *, reasons: tuple[str, ...]) -> int:
        """Resume the channel's follows paused for one of `reasons`; how many."""
        ...

    async def remove_channel(self, channel_id: str) -> int:
        """Delete every follow of a channel (deleted channel); how many."""
        ...

    async def remove_team(self, team_id: str | None) -> int:
        """Delete every follow of a workspace (app uninstalled, tokens revoked)."""
        ...

    async def noted(self, follow_id: int, *, at: float, error: str | None = None) -> None:
        """Record the last notification sent (error None) or the last error."""
        ...

    async def counts(self) -> dict[str, int]:
        """Follows by kind: `customer`, `segment`, `personal`, `digest`, `paused`."""
        ...

    async def health_baseline(self, display_id: int) -> int | None:
        """The score a health drop is measured from (hysteresis), if any yet."""
        ...

    async def set_health_baseline(self, display_id: int, score: int) -> None: ...

    async def wrote(self, display_id: int, channel_id: str, *, until: float) -> None:
        """This channel just changed the customer through the bot (its follows stay quiet
        about that change until `until`)."""
        ...

    async def written_by(self, display_id: int, *, now: float) -> frozenset[str]:
        """Channels whose own change of this customer is still fresh."""
        ...


@dataclass(frozen=True)
class OutboxStats:
    by_status: dict[str, int]  # pending, sending, sent, failed
    oldest_pending_seconds: float | None
    failed_by_reason: dict[str, int]


class Outbox(Protocol):
    """The notifications follows owe, written once per (follow, change) and sent once."""

    async def fold(
        self,
        follow: Follow,
        display_id: int,
        event_key: str,
        notices: tuple[Notice, ...],
        *,
        now: float,
        window_seconds: float,
        broadcast: bool,
    ) -> Notification | None:
        """Owe `notices` for one change. None when this (follow, event_key) was folded
        before (a redelivery, a restart, another replica). Otherwise they join this
        follow's notification for the customer that began within `window_seconds` (if it
        was posted already it is marked `needs_update`), or start a new pending one."""
        ...

    async def claim(self, *, now: float, lease_seconds: float, limit: int) -> list[Notification]:
        """Due notifications leased to the caller: pending ones whose next attempt is due,
        `sending` ones whose lease ran out (outcome unknown), and posted ones that
        `needs_update`; oldest first. `claimed_at` is set to `now`."""
        ...

    async def sent(
        self, notification_id: int, *, ts: str, thread_ts: str | None, now: float
    ) -> None:
        """Posted (or edited): keep the message's ts; clears `needs_update` and the lease."""
        ...

    async def retry(self, notification_id: int, error: str, *, at: float) -> None:
        """Not sent this time: try again at `at` (keeps the error)."""
        ...

    async def failed(self, notification_id: int, reason: str) -> None:
        """Never to be sent (the follow is paused or gone): kept, with the reason."""
        ...

    async def thread(self, channel_id: str, display_id: int, day: str) -> Notification | None:
        """The notification that started the day's thread for this channel and customer."""
        ...

    async def recent_count(self, follow_id: int, *, since: float) -> int:
        """Notifications of this follow begun since `since` (noise control)."""
        ...

    async def recent_counts(self, follow_ids: list[int], *, since: float) -> dict[int, int]:
        """`recent_count` for many follows at once (follows with none are left out)."""
        ...

    async def snoozed_in(self, display_id: int, *, now: float) -> frozenset[str]:
        """Channels where this customer is snoozed at `now`."""
        ...

    async def snooze(self, channel_id: str, display_id: int, *, until: float) -> None: ...

    async def snoozed(self, channel_id: str, display_id: int, *, now: float) -> bool: ...

    async def digest_add(
        self, follow: Follow, day: str, display_id: int, event_key: str, notices: tuple[Notice, ...]
    ) -> bool:
        """Keep a change for the follow's digest of `day`; False when already kept."""
        ...

    async def digest_claim(
        self, follow_id: int, day: str
    ) -> list[tuple[int, tuple[Notice, ...]]] | None:
        """Take the day's digest for this follow, once across replicas: its changes per
        customer (possibly none), or None when that day's digest was taken already."""
        ...

    async def digests_owed(self) -> list[tuple[int, str]]:
        """(follow id, day) of every digest with changes kept and not yet taken."""
        ...

    async def pace(self, channel_id: str, *, now: float, gap_seconds: float) -> float:
        """Reserve the channel's next turn; seconds to wait before it (0 when free now)."""
        ...

    async def hold_channel(self, channel_id: str, *, until: float) -> None:
        """A `ratelimited` answer: nothing goes to the channel before `until`."""
        ...

    async def purge(self, *, before: float) -> int:
        """Delete sent and failed notifications begun before `before`; how many."""
        ...

    async def stats(self, *, now: float) -> OutboxStats: ...
