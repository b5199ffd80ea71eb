"""Chooses where state lives: in this process, or in Redis when REDIS_URL is set."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.state.budget import RedisBudget, key_fingerprint
from bot.state.copies import RedisCopyStore
from bot.state.directory import RedisDirectoryShare
from bot.state.flights import SharedFlights
from bot.state.live import MemoryLiveCards
from bot.state.live_shared import SharedLiveCards
from bot.state.memory import MemoryEvents, MemorySharing
from bot.state.pacer import MemoryPacer, SharedPacer
from bot.state.recent import MemoryRecent, SharedRecent
from bot.state.redis import SharedRedis
from bot.state.shared import SharedEvents, SharedSharing


@dataclass
class Stores:
    """The state stores one process uses; `redis` is None without REDIS_URL."""

    events: MemoryEvents | SharedEvents
    sharing: MemorySharing | SharedSharing
    redis: SharedRedis | None = None
    budget: RedisBudget | None = None
    recent: MemoryRecent | SharedRecent = field(default_factory=MemoryRecent)
    copies: RedisCopyStore | None = None
    flights: SharedFlights | None = None
    directory: RedisDirectoryShare | None = None
    live: MemoryLiveCards | SharedLiveCards = field(default_factory=MemoryLiveCards)
    pacer: MemoryPacer | SharedPacer = field(default_factory=MemoryPacer)

    @classmethod
    def in_memory(cls) -> Stores:
        return cls(MemoryEvents(), MemorySharing())

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def build_stores(settings: Settings) -> Stores:
    """In-memory stores by default; Redis-backed ones (each over its memory) with REDIS_URL."""
    if settings.redis_url is None:
        return Stores.in_memory()
    redis = SharedRedis.from_url(settings.redis_url.get_secret_value())
    budget = RedisBudget(redis, key_fingerprint(settings.pivotal_api_key.get_secret_value()))
    copies = RedisCopyStore(redis)
    return Stores(
        SharedEvents(redis),
        SharedSharing(redis),
        redis,
        budget,
        SharedRecent(redis),
        copies,
        SharedFlights(redis, copies),
        RedisDirectoryShare(redis),
        SharedLiveCards(redis),
        SharedPacer(redis),
    )
