"""What `pivotal-bot check` says about Redis: reachable, how fast, who is walking."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.state.directory import RedisDirectoryShare
from bot.state.redis import SharedRedis


@dataclass(frozen=True)
class RedisStatus:
    reachable: bool
    latency_ms: float | None = None
    walking: bool | None = None  # another replica holds the directory walk lock
    list_customers: int | None = None
    list_age_seconds: float | None = None


async def redis_status(url: str, *, timeout: float = 1.0) -> RedisStatus:
    """Ping Redis and read the shared directory's state (a longer timeout: nobody waits)."""
    redis = SharedRedis.from_url(url, op_timeout=timeout)
    try:
        latency = await redis.ping()
        if latency is None:
            return RedisStatus(False)
        walking = await RedisDirectoryShare(redis).walking_elsewhere()
        meta = await redis.get_json(redis.key("directory", "meta"))
        count = age = None
        if isinstance(meta, dict) and isinstance(meta.get("at"), int | float):
            age = max(0.0, time.time() - float(meta["at"]))
            count = int(meta.get("count", 0))
        return RedisStatus(True, latency * 1000, walking, count, age)
    finally:
        await redis.aclose()
