"""Single-flight: concurrent misses for one key share one request.

``SingleFlight`` is the seam: ``CustomerLookup`` runs every Pivotal fetch through
``run(key, work)``. ``LocalFlights`` shares work between the callers of one process; an
implementation for several replicas can wrap it, claim the key in a shared tier before
calling ``work`` and, when another replica holds the claim, wait for that replica's copy
(through the freshness store's ``pull``) instead of fetching again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class SingleFlight(Protocol):
    async def run(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        """The result of `work`, shared with every caller asking for `key` meanwhile."""
        ...


class LocalFlights:
    """Single-flight within this process; a cancelled caller never cancels the work."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[Any]] = {}

    def __len__(self) -> int:
        return len(self._running)

    async def run(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(work())
            self._running[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        result: T = await asyncio.shield(task)
        return result

    def _settle(self, key: str, task: asyncio.Future[Any]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            task.exception()  # retrieved here so an unawaited failure is not reported
