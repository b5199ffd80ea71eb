"""Lists of customers from memory: one PortfolioIndex for the directory and signals of now.

Building the index costs about a second per 100,000 customers, so it is built off the event
loop, once per version of the customer list and its signals, and kept. ``peek`` answers
only from an index that is current (an answer that can ride on the ack); ``portfolio``
waits for one that includes every change made before it was asked. While lists are in use
(the last 15 minutes), ``run`` keeps the index current in the background, so most answers
come from ``peek``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.logs import event
from bot.lookup.directory import Directory, Snapshot
from bot.lookup.durable import StoreUnavailable
from bot.lookup.filters import Filter
from bot.lookup.portfolio import Portfolio, PortfolioIndex
from bot.lookup.signals import SignalBook, SignalStore
from bot.pivotal.models import Signals, instant

log = logging.getLogger(__name__)

DROP_POINTS = 10  # "needs attention": health down at least this much …
DROP_WINDOW = timedelta(days=7)  # … within this long
PEAKS_TTL = 60.0  # seconds the durable tier's health peaks are reused
AT_RISK = Filter(statuses=frozenset({"at_risk"}), sort="health")
IN_USE_SECONDS = 900.0  # lists asked for this recently keep the index current
KEEP_WARM_EVERY = 2.0

Versions = tuple[int, int]


class Lists:
    """Filters evaluated over the directory and what webhooks said (health, owner)."""

    def __init__(
        self,
        directory: Directory,
        signals: SignalBook,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
        kept: SignalStore | None = None,
    ):
        self._kept = kept
        self._peaks: tuple[float, dict[int, int]] | None = None
        self._directory = directory
        self._signals = signals
        self._now = now
        self._clock = clock
        self._index: PortfolioIndex | None = None
        self._built: Versions = (-1, -1)
        self._building: asyncio.Task[tuple[PortfolioIndex, Versions]] | None = None
        self._used_at: float | None = None
        self.builds = 0

    @property
    def ready(self) -> bool:
        """Whether the customer list has been walked (lists before that would be empty)."""
        return self._directory.ready

    async def wait_ready(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the first walk; False if it has not finished."""
        return await self._directory.wait_ready(timeout)

    def peek(self, filter: Filter, *, me: str | None) -> Portfolio | None:
        """`filter`'s customers from a current index, without waiting; None when there is none
        (a build is then started, so a later `portfolio` call finds it under way)."""
        self._used_at = self._clock()
        index = self._current()
        if index is None:
            self._start()
            return None
        return index.evaluate(filter, me=me, now=self._now())

    async def portfolio(self, filter: Filter, *, me: str | None) -> Portfolio:
        """`filter`'s customers, from an index that includes every change made until now."""
        self._used_at = self._clock()
        index = await self.index()
        return index.evaluate(filter, me=me, now=self._now())

    async def attention(self, *, me: str | None = None) -> Portfolio:
        """Customers that need attention: at risk, or health down DROP_POINTS or more within
        DROP_WINDOW; lowest health first."""
        self._used_at = self._clock()
        dropped = await self.dropped()
        index = await self.index()
        return index.either(AT_RISK, dropped, me=me, now=self._now())

    async def dropped(self) -> set[int]:
        """Customers whose health fell DROP_POINTS or more within DROP_WINDOW: measured from
        the highest score kept since then, or the "previous" score a recent event carried."""
        now = self._now()
        since = now - DROP_WINDOW
        peaks = await self._health_peaks(since)
        dropped = set()
        for display_id, signals in self._signals.copy().items():
            score = signals.health_score
            if score is None:
                continue
            peak = peaks.get(display_id, score)
            last = self._signals.last_event(display_id)
            previous = signals.previous_health_score
            if previous is not None and last is not None and instant(last) >= since:
                peak = max(peak, previous)
            if peak - score >= DROP_POINTS:
                dropped.add(display_id)
        return dropped

    async def _health_peaks(self, since: datetime) -> dict[int, int]:
        cached = self._peaks
        if cached is not None and self._clock() - cached[0] < PEAKS_TTL:
            return cached[1]
        if self._kept is None:
            return {}
        try:
            peaks = await self._kept.health_peaks(since=since)
        except StoreUnavailable:
            event(log, "lists.peaks.unavailable", logging.WARNING)
            return {}
        self._peaks = (self._clock(), peaks)
        return peaks

    async def index(self) -> PortfolioIndex:
        """An index built after every change made before this call."""
        wanted = self._versions()
        while True:
            if self._index is not None and _covers(self._built, wanted):
                return self._index
            task = self._start()
            await asyncio.shield(task)

    async def run(self) -> None:
        """Keep the index current while lists are in use (a task for the process's life)."""
        while True:
            await asyncio.sleep(KEEP_WARM_EVERY)
            used = self._used_at
            in_use = used is not None and self._clock() - used < IN_USE_SECONDS
            if in_use and self._current() is None and self._directory.ready:
                try:
                    await asyncio.shield(self._start())
                except Exception:  # logged; the next round tries again
                    log.exception("lists.build.failed")

    def _current(self) -> PortfolioIndex | None:
        return self._index if self._built == self._versions() else None

    def _versions(self) -> Versions:
        return (self._directory.version, self._signals.version)

    def _start(self) -> asyncio.Task[tuple[PortfolioIndex, Versions]]:
        if self._building is None or self._building.done():
            self._building = asyncio.create_task(self._build(), name="lists.build")
        return self._building

    async def _build(self) -> tuple[PortfolioIndex, Versions]:
        # Read on the loop (the directory and the signal book change only there), build in
        # a thread: the columns are pure over these copies.
        versions = self._versions()
        snapshots, signals = self._directory.snapshots(), self._signals.copy()
        started = time.perf_counter()
        index = await asyncio.to_thread(_index, snapshots, signals)
        if _covers(versions, self._built):
            self._index, self._built = index, versions
        self.builds += 1
        event(log, "lists.index", customers=len(index),
              ms=round((time.perf_counter() - started) * 1000, 1))  # fmt: skip
        return index, versions


def _index(snapshots: list[Snapshot], signals: dict[int, Signals]) -> PortfolioIndex:
    index = PortfolioIndex(snapshots, signals=signals.get)
    index.warm()
    return index


def _covers(built: Versions, wanted: Versions) -> bool:
    return built[0] >= wanted[0] and built[1] >= wanted[1]
