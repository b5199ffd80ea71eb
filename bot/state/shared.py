"""Event dedupe and the channel-sharing cache in Redis, each over its in-memory fallback.

Both write to this process's memory as well as to Redis, so a Redis outage degrades them
to what one process knows, and nothing already seen here is forgotten.
"""

from __future__ import annotations

from bot.state.memory import EVENT_MEMORY_SECONDS, MemoryEvents, MemorySharing
from bot.state.redis import SharedRedis


class SharedEvents:
    """An event_id is processed once across every replica (SET NX with a 1-hour TTL)."""

    def __init__(
        self,
        redis: SharedRedis,
        local: MemoryEvents | None = None,
        *,
        ttl: float = EVENT_MEMORY_SECONDS,
    ):
        self._redis = redis
        self._local = local if local is not None else MemoryEvents(ttl=ttl)
        self._ttl = ttl

    async def first_time(self, event_id: str) -> bool:
        here = self._local.first_time_here(event_id)
        claimed = await self._redis.claim(self._redis.key("event", event_id), self._ttl)
        # Seen here, or claimed by another replica: a repeat. Redis down (None): trust memory.
        return here and claimed is not False


class SharedSharing:
    """Slack Connect status per channel, shared so one conversations.info serves all."""

    def __init__(self, redis: SharedRedis, local: MemorySharing | None = None):
        self._redis = redis
        self._local = local if local is not None else MemorySharing()

    def _key(self, channel_id: str) -> str:
        return self._redis.key("sharing", channel_id)

    async def get(self, channel_id: str) -> bool | None:
        # Redis first: a channel_shared event seen by another replica deleted the key there.
        value = await self._redis.get_json(self._key(channel_id))
        if isinstance(value, bool):
            await self._local.put(channel_id, value)
            return value
        return None if self._redis.up else await self._local.get(channel_id)

    async def put(self, channel_id: str, external: bool) -> None:
        await self._local.put(channel_id, external)
        await self._redis.set_json(self._key(channel_id), external, self._local.ttl)

    async def forget(self, channel_id: str) -> None:
        await self._local.forget(channel_id)
        await self._redis.delete(self._key(channel_id))
