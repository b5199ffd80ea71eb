"""The Pivotal key's rate budget shared by every replica: one moving window in Redis.

Pivotal counts a sliding window per key (60 requests a minute on live keys), so each
replica counts a request in the same window before sending it, with `limits`' moving
window (a Lua script over a list of timestamps) on the bot's own redis-py pool. The
window is one second longer than Pivotal's so clock skew and network delay cannot
overshoot it. A 429's Retry-After becomes a shared "blocked until".
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from bot.state.redis import SharedRedis

WINDOW_SECONDS = 61  # Pivotal's 60 s plus a margin
MAX_BLOCK = 3600.0


class _Window(RateLimitItemPerSecond):
    """One list per key whatever the limit: a limit learned later counts the same requests."""

    def key_for(self, *identifiers: bytes | str | int | float) -> str:
        return "/".join(["window", *(str(part) for part in identifiers)])


def key_fingerprint(api_key: str) -> str:
    """Identifies the key in Redis key names without revealing it."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


class RedisBudget:
    """SharedBudget for RateGovernor; None answers while Redis is unavailable."""

    def __init__(
        self,
        redis: SharedRedis,
        fingerprint: str,
        *,
        window: int = WINDOW_SECONDS,
        wall: Callable[[], float] = time.time,
    ):
        self._redis = redis
        self._id = fingerprint
        self._window = window
        self._wall = wall
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=redis.key("budget"),
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self._items: dict[int, RateLimitItem] = {}
        self._blocked_key = redis.key("budget", fingerprint, "blocked")

    def _item(self, limit: int) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = _Window(limit, self._window)
        return item

    async def take(self, limit: int, *, keep: int) -> float | None:
        item = self._item(limit)

        async def op(_: object) -> float:
            if keep and not await self._limiter.test(item, self._id, cost=keep + 1):
                return await self._wait(item)
            if await self._limiter.hit(item, self._id):
                return 0.0
            return await self._wait(item)

        return await self._redis.run("budget.take", op, None)

    async def remaining(self, limit: int) -> int | None:
        """Requests left in the shared window now (for metrics and `check`)."""

        async def op(_: object) -> int:
            stats = await self._limiter.get_window_stats(self._item(limit), self._id)
            return int(stats.remaining)

        return await self._redis.run("budget.stats", op, None)

    async def _wait(self, item: RateLimitItem) -> float:
        stats = await self._limiter.get_window_stats(item, self._id)
        return max(0.05, stats.reset_time - self._wall())

    async def block(self, until: float) -> None:
        ttl = min(max(until - self._wall(), 0.5), MAX_BLOCK)
        await self._redis.set_json(self._blocked_key, until, ttl)

    async def blocked_until(self) -> float | None:
        value = await self._redis.get_json(self._blocked_key)
        return float(value) if isinstance(value, int | float) else 0.0
