"""Refetches that partial webhooks ask for: one per customer, slow, and never before users.

Marks coalesce per customer (ten events for one customer before its turn cost one GET)
and gather for a second before the first decision, so a burst is seen as one.
The queue drains at `per_minute` at most, and each GET first waits until the rate budget
has room beyond the reserve kept for interactive lookups. When more customers are waiting
than one directory walk would cost in pages, one walk refreshes them all instead: a
nightly recompute of 10,000 health scores costs 100 list pages, not 10,000 GETs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.logs import event
from bot.lookup.changes import Changes
from bot.lookup.directory import Directory, Snapshot
from bot.pivotal.client import PAGE_SIZE, PivotalClient
from bot.pivotal.errors import CustomerNotFound, PivotalError
from bot.pivotal.models import Customer

log = logging.getLogger(__name__)


class Refetcher:
    """A coalesced queue of customers to GET again, drained in the background."""

    def __init__(
        self,
        client: PivotalClient,
        directory: Directory,
        changes: Changes,
        *,
        per_minute: float = 6.0,
        walk_above: int | None = None,
        gather_seconds: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self._client = client
        self._directory = directory
        self._changes = changes
        self._gap = 60.0 / per_minute
        self._walk_above = walk_above
        self._gather = gather_seconds
        self._sleep = sleep
        self._pending: dict[int, None] = {}  # insertion-ordered set of display_ids
        self._wake = asyncio.Event()
        self.gets = 0
        self.walks = 0

    def mark(self, display_id: int) -> None:
        """Ask for one refetch of this customer (a no-op when one is already waiting)."""
        self._pending[display_id] = None
        self._wake.set()

    def __len__(self) -> int:
        return len(self._pending)

    async def run(self) -> None:
        """Drain forever; cancelled at shutdown (what is left is for the next walk)."""
        while True:
            await self._wake.wait()
            await self._sleep(self._gather)  # let a burst's marks gather into one decision
            self._wake.clear()
            while self._pending:
                await self.step()
                await self._sleep(self._gap)

    async def step(self) -> None:
        """One GET, or one walk when many customers wait."""
        if len(self._pending) > self._walk_threshold():
            waiting = list(self._pending)
            self._pending.clear()
            await self._walk(waiting)
            return
        display_id = next(iter(self._pending))
        del self._pending[display_id]
        await self._client.governor.wait_for_background()
        self.gets += 1
        started = time.monotonic()
        try:
            customer = await self._client.get_customer(str(display_id))
        except CustomerNotFound:
            return  # the reconcile walk drops it
        except PivotalError as exc:
            event(log, "pivotal.refetch.failed", logging.WARNING, display_id=display_id,
                  error=type(exc).__name__)  # fmt: skip
            return
        changed = await self._changes.refreshed(customer)
        event(log, "pivotal.refetch", display_id=display_id, changed=changed,
              ms=(time.monotonic() - started) * 1000)  # fmt: skip

    def _walk_threshold(self) -> int:
        if self._walk_above is not None:
            return self._walk_above
        return max(1, len(self._directory) // PAGE_SIZE + 1)

    async def _walk(self, waiting: list[int]) -> None:
        self.walks += 1
        event(log, "pivotal.refetch.walk", customers=len(waiting))
        before = {did: snap.customer if (snap := self._changes.best(did)) else None
                  for did in waiting}  # fmt: skip
        try:
            await self._directory.walk()
        except PivotalError as exc:
            event(log, "pivotal.refetch.failed", logging.WARNING, customers=len(waiting),
                  error=type(exc).__name__)  # fmt: skip
            return
        walked = {did: (before[did], _customer(self._directory.get(str(did)))) for did in waiting}
        await self._changes.walked(walked)


def _customer(snap: Snapshot | None) -> Customer | None:
    return snap.customer if snap is not None else None
