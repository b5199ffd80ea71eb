"""Each change that matters becomes the notifications its follows owe (a `once` subscriber).

For one CustomerChanged: what it says (worth.py, with the health baseline kept in the
durable tier), which follows hear it (the customer's own, and segment follows whose filter
the customer was in before or is in now), and for each follow one of:
- nothing: the kinds it hears say nothing, the customer is snoozed in its channel, or its
  own channel made the change through the bot (`/customer link`);
- a line in its digest (a daily follow; or any follow that owed more than NOISY_LIMIT
  notifications within NOISY_WINDOW: the rest of that hour becomes one digest, once said);
- a notification folded into the outbox: the first change at once, later ones within
  FOLD_WINDOW joining it (the sender edits the message).
Each (follow, change) is folded once whatever repeats it (a redelivered webhook, another
replica, a restart): `event_key` names the change the same everywhere. A database that is
away keeps the change here and retries it (bounded), rather than losing it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cachetools import LRUCache

from bot.follows.digests import local_day
from bot.follows.model import Follow, Notice
from bot.follows.segments import SegmentIndex
from bot.follows.store import FollowStore, Outbox
from bot.follows.worth import Worth, event_key, segment_notice, worth
from bot.logs import event
from bot.lookup.changed import CustomerChanged
from bot.lookup.durable import StoreUnavailable
from bot.lookup.filters import Filter, parse_filter
from bot.lookup.matcher import Matcher

log = logging.getLogger(__name__)

FOLD_WINDOW = 30.0  # seconds: later changes to a customer join its notification
NOISY_LIMIT = 10  # notifications of one follow within NOISY_WINDOW before it goes quiet
NOISY_WINDOW = 600.0
SEGMENTS_TTL = 5.0  # seconds segment follows are reused (others' new follows: this late)
RETRY_EVERY = 5.0
RETRY_KEPT = 10_000  # changes kept while the database is away; older ones are dropped


@dataclass(frozen=True)
class Quiet:
    """For one change: channels that made it themselves, channels where the customer is
    snoozed, and each follow's notifications within NOISY_WINDOW."""

    written: frozenset[str]
    snoozed: frozenset[str]
    recent: dict[int, int]


class Planner:
    """CustomerChanged -> outbox rows and digest lines (call it as a change handler)."""

    def __init__(
        self,
        follows: FollowStore,
        outbox: Outbox,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self._follows = follows
        self._outbox = outbox
        self._clock = clock
        self._segments: tuple[float, SegmentIndex] | None = None
        self._matchers: LRUCache[str, Matcher | None] = LRUCache(maxsize=20_000)
        self._quiet_until: dict[int, float] = {}  # follow id -> end of its digest hour
        self._waiting: deque[CustomerChanged] = deque(maxlen=RETRY_KEPT)
        self.planned = 0  # notifications started or joined, for metrics

    async def __call__(self, change: CustomerChanged) -> None:
        """Plan `change`; with the database away, keep it for `retry` (never raises)."""
        try:
            await self.plan(change)
        except StoreUnavailable as exc:
            self._waiting.append(change)
            event(log, "follows.plan.deferred", logging.WARNING, display_id=change.display_id,
                  waiting=len(self._waiting), error=str(exc))  # fmt: skip
        except Exception:  # a bug in one change must not stop the next ones; logged
            log.exception("follows.plan.failed display_id=%s", change.display_id)

    async def run(self) -> None:
        """Retry changes kept while the database was away (a task for the process's life)."""
        while True:
            await asyncio.sleep(RETRY_EVERY)
            while self._waiting:
                change = self._waiting[0]
                try:
                    await self.plan(change)
                except StoreUnavailable:
                    break
                except Exception:  # logged and dropped: one bad change must not block the queue
                    log.exception("follows.plan.failed display_id=%s", change.display_id)
                self._waiting.popleft()

    async def plan(self, change: CustomerChanged) -> int:
        """Fold `change` into what its follows owe; how many follows it reached."""
        if not change.changed:
            return 0
        now = self._clock()
        did = change.display_id
        customer_follows = await self._follows.of_customer(did)
        segments = (await self._segment_index(now)).concerned(change, datetime.now(UTC))
        if not customer_follows and not segments:
            return 0
        baseline = await self._follows.health_baseline(did)
        said = worth(change, baseline)
        if said.baseline is not None and said.baseline != baseline:
            await self._follows.set_health_baseline(did, said.baseline)
        owed = [(f, said.for_kinds(f.kinds)) for f in customer_follows]
        owed += [(f, _segment_notices(said, f, entered)) for f, entered in segments]
        owed = [(f, notices) for f, notices in owed if notices and f.active]
        if not owed:
            return 0
        # What keeps follows quiet, read once for all of them.
        quiet = Quiet(
            written=await self._follows.written_by(did, now=now),
            snoozed=await self._outbox.snoozed_in(did, now=now),
            recent=await self._outbox.recent_counts(
                [f.id for f, _ in owed if not f.digest], since=now - NOISY_WINDOW
            ),
        )
        key = event_key(change)
        reached = 0
        for follow, notices in owed:
            reached += await self._owe(follow, did, key, notices, quiet, now)
        return reached

    async def _owe(
        self,
        follow: Follow,
        did: int,
        key: str,
        notices: tuple[Notice, ...],
        quiet: Quiet,
        now: float,
    ) -> int:
        channel = follow.destination.channel_id
        if channel in quiet.written:
            event(log, "follows.quiet", follow=follow.id, display_id=did, reason="own_write")
            return 0
        if channel in quiet.snoozed:
            event(log, "follows.quiet", follow=follow.id, display_id=did, reason="snoozed")
            return 0
        if follow.digest:
            day = local_day(follow, now).isoformat()
            await self._outbox.digest_add(follow, day, did, key, notices)
            return 1
        hour = _hour(now)
        noisy = quiet.recent.get(follow.id, 0) >= NOISY_LIMIT
        if noisy or self._quiet_until.get(follow.id, 0.0) > now:
            await self._go_quiet(follow, did, hour, now)
            await self._outbox.digest_add(follow, hour, did, key, notices)
            return 1
        broadcast = any(n.kind == "status" for n in notices)
        folded = await self._outbox.fold(
            follow, did, key, notices, now=now, window_seconds=FOLD_WINDOW, broadcast=broadcast
        )
        if folded is not None:
            self.planned += 1
        return 1

    async def _go_quiet(self, follow: Follow, did: int, hour: str, now: float) -> None:
        """Say once (per follow and hour) that the rest of the hour comes as a digest."""
        end = (int(now) // 3600 + 1) * 3600
        if self._quiet_until.get(follow.id, 0.0) >= end:
            return
        self._quiet_until[follow.id] = float(end)
        notice = Notice("quiet", None, str(NOISY_LIMIT))
        # Keyed by the hour: every replica (and every later change) folds it only once.
        await self._outbox.fold(follow, did, f"quiet:{hour}", (notice,), now=now,
                                window_seconds=0.0, broadcast=False)  # fmt: skip
        event(log, "follows.quiet", follow=follow.id, until=end, reason="noisy")

    async def _segment_index(self, now: float) -> SegmentIndex:
        cached = self._segments
        if cached is not None and now - cached[0] < SEGMENTS_TTL:
            return cached[1]
        found = await self._follows.of_segments()
        texts = {f.target.segment for f in found if f.target.segment is not None}
        index = SegmentIndex(found, {text: self._matcher(text) for text in texts})
        self._segments = (now, index)
        return index

    def forget_segments(self) -> None:
        """A segment follow was added or removed here: read them again on the next change."""
        self._segments = None

    def _matcher(self, text: str) -> Matcher | None:
        if text in self._matchers:
            return self._matchers[text]
        parsed = parse_filter(text)
        matcher = Matcher(parsed) if isinstance(parsed, Filter) else None
        if matcher is None:
            event(log, "follows.segment.unreadable", logging.WARNING, segment=text[:80])
        self._matchers[text] = matcher
        return matcher


def _segment_notices(said: Worth, follow: Follow, entered: bool | None) -> tuple[Notice, ...]:
    """A member's usual changes, after the entering or leaving itself."""
    usual = said.for_kinds(follow.kinds)
    if entered is None:
        return usual
    segment = follow.target.segment or ""
    moved = segment_notice(not entered, entered, segment)
    return (moved, *usual) if moved is not None else usual


def _hour(now: float) -> str:
    """The UTC hour a quiet follow's digest covers: `YYYY-MM-DDTHH`."""
    return datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%dT%H")
