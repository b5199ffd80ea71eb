"""The webhook feed: which events were already handled, and whether deliveries still arrive."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

SEEN_FOR_SECONDS = 7 * 24 * 3600  # Pivotal retries for 24 h and replays later: keep 7 days


class SeenEvents(Protocol):
    """Event ids already handled; `first_time` marks the id and says if it was new.

    In memory that is bot.state.memory.MemoryEvents (7 days, bounded); with Redis, shared.
    """

    async def first_time(self, event_id: str) -> bool: ...


class FeedLiveness:
    """Is Pivotal still delivering? Copies taken while it is can be trusted past the TTL.

    The rule: the feed is live while verified deliveries (any event, a redelivery or a
    ping) keep arriving at most `quiet_seconds` apart. A copy taken at or after the start
    of the current live stretch is kept current by webhooks, so it stays fresh; anything
    older, or any copy once the feed has gone quiet, falls back to the cache TTL.
    """

    def __init__(self, *, quiet_seconds: float, timer: Callable[[], float] = time.monotonic):
        self._quiet = quiet_seconds
        self._timer = timer
        self._since: float | None = None
        self._last: float | None = None

    def heard(self) -> None:
        """A verified delivery arrived now."""
        now = self._timer()
        if not self.live:
            self._since = now
        self._last = now

    @property
    def live(self) -> bool:
        return self._last is not None and self._timer() - self._last <= self._quiet

    def covers(self, fetched_at: float) -> bool:
        """True when a copy taken at `fetched_at` (same timer) is kept current by the feed."""
        return self.live and self._since is not None and fetched_at >= self._since


@dataclass(frozen=True)
class InboxEntry:
    """One verified delivery the inbox holds until it is applied."""

    id: int  # the inbox's own row id
    event_id: str  # Pivotal's event id (unique in the inbox)
    body: bytes  # the verified body, parsed again when the entry is finished
    attempts: int  # how many times it was leased (1 for a new delivery)


class Inbox(Protocol):
    """Verified webhook deliveries, committed before the 2xx and applied after.

    The SQL tier implements it (bot.store.inbox.SqlInbox): a row per event id, leased to
    whoever applies it, so a delivery recorded but not done (crash, restart) is finished
    by this process at start-up or by another replica once the lease runs out. Every
    method raises bot.lookup.durable.StoreUnavailable when the database fails.
    """

    async def record(
        self, event_id: str, body: bytes, *, lease_seconds: float
    ) -> InboxEntry | None:
        """Commit a delivery, leased to the caller; None when the event id is known already."""
        ...

    async def claim(self, *, limit: int, lease_seconds: float) -> list[InboxEntry]:
        """Entries not done whose lease has run out, leased to the caller now (oldest first)."""
        ...

    async def done(self, entry_id: int) -> None:
        """The entry was applied: it is kept (as a dedupe record) until purged."""
        ...

    async def retry_later(self, entry_id: int, error: str, *, delay_seconds: float) -> None:
        """Applying failed: keep the error and let the entry be claimed after `delay_seconds`."""
        ...

    async def purge(self, *, older_than_seconds: float) -> int:
        """Delete done entries received more than `older_than_seconds` ago; how many went."""
        ...

    async def pending(self) -> tuple[int, float | None]:
        """Entries not done, and the age in seconds of the oldest of them."""
        ...
