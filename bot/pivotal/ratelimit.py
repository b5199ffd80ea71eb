"""Rate governor: reads X-RateLimit-* and Retry-After so the bot never runs the key dry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.pivotal.errors import PivotalRateLimited
from bot.pivotal.headers import MAX_WAIT, RateHeaders, clamp_wait


@dataclass(frozen=True)
class RateInfo:
    """The key's budget as the last response described it."""

    limit: int | None
    remaining: int | None
    reset_in: float | None


class SharedBudget(Protocol):
    """The key's window as every replica sees it (Redis); None answers mean "cannot say"."""

    async def take(self, limit: int, *, keep: int) -> float | None:
        """Count one request if more than `keep` slots are free: 0.0, else seconds to wait."""

    async def block(self, until: float) -> None:
        """Nobody sends before `until` (epoch seconds), from a 429's Retry-After."""

    async def blocked_until(self) -> float | None:
        """Epoch seconds before which nobody may send (0.0 if none)."""


class RateGovernor:
    """Shares one key's budget between interactive lookups and background walks.

    Interactive lookups go ahead unless Pivotal said to wait (429) or the window is
    spent. Background work also leaves a reserve of the window to interactive users.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        reserve_fraction: float = 0.25,
        budget: SharedBudget | None = None,
        assumed_limit: int = 60,
    ):
        self.budget = budget
        self._assumed_limit = assumed_limit
        self._shared_block = 0.0  # a 429's block, on the wall clock, not yet shared
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._reserve_fraction = reserve_fraction
        self._limit: int | None = None
        self._remaining: int | None = None
        self._reset_at: float | None = None  # on self._clock
        self._blocked_until = 0.0

    def observe(self, headers: Mapping[str, str], status: int) -> float | None:
        """Take the budget from a response's headers (any status); a 429's wait, else None."""
        rate = RateHeaders.parse(headers)
        now = self._clock()
        if rate.limit is not None:
            self._limit = rate.limit
        if rate.remaining is not None:
            self._remaining = rate.remaining
        reset_in = rate.reset_in(self._wall())
        if reset_in is not None:
            self._reset_at = now + reset_in  # the header is epoch seconds; kept on the clock
        if status != 429:
            return None
        if rate.retry_after is not None:
            # Retry-After is the word on when to come back; the window's own
            # remaining/reset would otherwise hold us off until the reset.
            self._remaining = None
            wait = clamp_wait(rate.retry_after)
        else:
            wait = clamp_wait(self._reset_in(now))
        self._blocked_until = max(self._blocked_until, now + wait)
        self._shared_block = max(self._shared_block, self._wall() + wait)
        return wait

    def info(self) -> RateInfo:
        return RateInfo(self._limit, self._remaining, self._reset_in(self._clock()))

    def check(self) -> None:
        """Raise PivotalRateLimited at once if a request now would surely be refused."""
        wait = self._wait_needed(reserve=0)
        if wait > 0:
            raise PivotalRateLimited("Pivotal rate limit reached", retry_after=wait, status=None)

    async def admit(self) -> None:
        """check(), then count the request in the shared window (when replicas share one)."""
        self.check()
        wait = await self._take_shared(keep=0)
        if wait > 0:
            raise PivotalRateLimited("Pivotal rate limit reached", retry_after=wait, status=None)

    async def share_block(self) -> None:
        """Tell the other replicas about a 429 this one received."""
        if self.budget is not None and self._shared_block:
            until, self._shared_block = self._shared_block, 0.0
            await self.budget.block(until)

    async def wait_for_background(self) -> None:
        """Sleep until background work may spend a request without starving users."""
        while True:
            wait = self._wait_needed(reserve=self._reserve())
            if wait <= 0:
                wait = await self._take_shared(keep=self._reserve(self.shared_limit()))
                if wait <= 0:
                    return
            await self._sleep(min(wait, 5.0))

    def shared_limit(self) -> int:
        """The limit the shared window counts against: the key's, once a response said it."""
        return self._limit or self._assumed_limit

    async def _take_shared(self, *, keep: int) -> float:
        """Seconds to wait before the shared window allows a request; 0.0 once counted."""
        if self.budget is None:
            return 0.0
        blocked = await self.budget.blocked_until()
        if blocked and blocked > self._wall():
            return min(blocked - self._wall(), MAX_WAIT)
        wait = await self.budget.take(self.shared_limit(), keep=keep)
        return wait or 0.0  # None: the shared window cannot say, go by this process alone

    def _reserve(self, limit: int | None = None) -> int:
        limit = limit or self._limit
        if limit is None:
            return 0
        return max(1, int(limit * self._reserve_fraction))

    def _wait_needed(self, *, reserve: int) -> float:
        now = self._clock()
        if now < self._blocked_until:
            return self._blocked_until - now
        reset_in = self._reset_in(now)
        if self._remaining is not None and self._remaining <= reserve and reset_in:
            return reset_in
        return 0.0

    def _reset_in(self, now: float) -> float | None:
        if self._reset_at is None or self._reset_at <= now:
            return None
        return self._reset_at - now
