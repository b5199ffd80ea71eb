"""Single-flight across replicas: concurrent misses for one customer cost one GET in all.

The first replica to miss claims a short lock in Redis and fetches; the others see the
lock, wait for it to go (bounded by its lease), then read the copy it stored through the
freshness store's `pull`. Within a process LocalFlights still shares one wait. With
Redis down, or when the holder gave up without a copy, a replica simply fetches itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from bot.lookup.flights import LocalFlights
from bot.pivotal.errors import CustomerNotFound
from bot.state.copies import RedisCopyStore
from bot.state.redis import SharedRedis

T = TypeVar("T")
LEASE = 5.0  # longer than one Pivotal deadline; a crashed holder frees the key after it
POLL = 0.02


class SharedFlights:
    """SingleFlight (bot/lookup/flights.py) for several replicas sharing `store`."""

    def __init__(
        self,
        redis: SharedRedis,
        store: RedisCopyStore,
        *,
        lease: float = LEASE,
        wall: Callable[[], float] = time.time,
    ):
        self._redis = redis
        self._store = store
        self._lease = lease
        self._wall = wall
        self._local = LocalFlights()

    @property
    def running(self) -> int:
        """Keys being fetched by this process now (no __len__: an idle one must stay truthy)."""
        return len(self._local)

    async def run(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        return await self._local.run(key, lambda: self._claimed(key, work))

    async def _claimed(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        lock = self._redis.key("flight", key)
        token = await self._redis.lock(lock, self._lease)
        if token is not None:
            try:
                return await work()
            finally:
                await self._redis.unlock(lock, token)
        if not self._redis.up:
            return await work()
        waited = await self._their_answer(key, lock)
        return cast(T, waited) if waited is not None else await work()

    async def _their_answer(self, key: str, lock: str) -> object | None:
        """Wait for the holder of `lock`; its copy of `key`, or None if it left none."""
        since = self._wall() - 1.0
        deadline = time.monotonic() + self._lease
        while time.monotonic() < deadline:
            if not await self._redis.holder(lock):  # released, or Redis gone (None)
                break
            await asyncio.sleep(POLL)
        await self._store.pull(key)
        copy = self._store.copy(key)
        if copy is not None and copy.fetched_at >= since:
            return copy
        missing = self._store.missing_since(key)
        if missing is not None and missing >= since:
            raise CustomerNotFound("not found (asked by another replica)", status=404)
        return None
