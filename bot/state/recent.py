"""Each user's recent lookups (for their App Home): last 10, kept 30 days, never shared.

In memory by default (bounded by users and by age); in Redis with REDIS_URL, one key per
user with its own 30-day expiry, written through to memory so an outage loses nothing
this process saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol

from cachetools import TTLCache

from bot.state.redis import SharedRedis

RECENT_LIMIT = 10
RECENT_SECONDS = 30 * 86_400.0
MAX_USERS = 20_000


@dataclass(frozen=True)
class Lookup:
    """One customer a user looked up: its ref, where from (a channel id or ""), when."""

    ref: str
    channel: str
    at: float  # epoch seconds


class RecentLookups(Protocol):
    async def add(self, user: str, ref: str, channel: str = "") -> None: ...

    async def recent(self, user: str) -> list[Lookup]: ...


def _merged(known: list[Lookup], new: Lookup, now: float) -> list[Lookup]:
    kept = [x for x in known if x.ref != new.ref and now - x.at < RECENT_SECONDS]
    return [new, *kept][:RECENT_LIMIT]


class MemoryRecent:
    """Per-user lists in this process; the least recently active users go first when full."""

    def __init__(
        self,
        *,
        max_users: int = MAX_USERS,
        clock: Callable[[], float] = time.time,
    ):
        self._clock = clock
        self._users: TTLCache[str, list[Lookup]] = TTLCache(
            max_users, ttl=RECENT_SECONDS, timer=clock
        )

    async def add(self, user: str, ref: str, channel: str = "") -> None:
        self.put(
            user,
            _merged(self._users.get(user, []), Lookup(ref, channel, self._clock()), self._clock()),
        )

    def put(self, user: str, lookups: list[Lookup]) -> None:
        self._users[user] = lookups

    async def recent(self, user: str) -> list[Lookup]:
        now = self._clock()
        return [x for x in self._users.get(user, []) if now - x.at < RECENT_SECONDS]


class SharedRecent:
    """The same lists in Redis (`recent:<user>`), so every replica's Home shows them."""

    def __init__(self, redis: SharedRedis, local: MemoryRecent | None = None):
        self._redis = redis
        self._local = local if local is not None else MemoryRecent()

    async def add(self, user: str, ref: str, channel: str = "") -> None:
        now = time.time()
        merged = _merged(await self.recent(user), Lookup(ref, channel, now), now)
        self._local.put(user, merged)
        key = self._redis.key("recent", user)
        await self._redis.set_json(key, [asdict(x) for x in merged], RECENT_SECONDS)

    async def recent(self, user: str) -> list[Lookup]:
        raw = await self._redis.get_json(self._redis.key("recent", user))
        if isinstance(raw, list):
            return [x for x in map(_parse, raw) if x is not None]
        return await self._local.recent(user)


def _parse(item: object) -> Lookup | None:
    if not isinstance(item, dict):
        return None
    ref, channel, at = item.get("ref"), item.get("channel", ""), item.get("at")
    if isinstance(ref, str) and isinstance(channel, str) and isinstance(at, int | float):
        return Lookup(ref, channel, float(at))
    return None
