"""The webhook feed: which events were already handled, and whether deliveries still arrive."""

from __future__ import annotations

import time
from collections.abc import Callable
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
