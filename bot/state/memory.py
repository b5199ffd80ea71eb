"""In-process state: the default for one process, and every shared store's fallback."""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import TTLCache

# Slack retries an event for up to about 5 minutes; remember ids well past that.
EVENT_MEMORY_SECONDS = 3600.0


class MemoryEvents:
    """Each event_id is processed once, including retries of a delivery whose ack was lost."""

    def __init__(
        self,
        *,
        ttl: float = EVENT_MEMORY_SECONDS,
        max_entries: int = 50_000,
        timer: Callable[[], float] = time.monotonic,
    ):
        self._seen: TTLCache[str, bool] = TTLCache(max_entries, ttl=ttl, timer=timer)

    async def first_time(self, event_id: str) -> bool:
        return self.first_time_here(event_id)

    def first_time_here(self, event_id: str) -> bool:
        """The same answer without I/O, from this process's memory alone."""
        if event_id in self._seen:
            return False
        self._seen[event_id] = True
        return True


class MemorySharing:
    """Which channels are shared with another organisation, as last learned here."""

    def __init__(self, *, ttl: float = 600, timer: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._known: TTLCache[str, bool] = TTLCache(4096, ttl=ttl, timer=timer)

    async def get(self, channel_id: str) -> bool | None:
        return self._known.get(channel_id)

    async def put(self, channel_id: str, external: bool) -> None:
        self._known[channel_id] = external

    async def forget(self, channel_id: str) -> None:
        self._known.pop(channel_id, None)
