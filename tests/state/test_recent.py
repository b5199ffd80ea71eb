"""Recent lookups per user: last 10, 30 days, bounded in memory, shared through Redis."""

from __future__ import annotations

import pytest

from bot.state.recent import RECENT_LIMIT, RECENT_SECONDS, MemoryRecent, SharedRecent
from bot.state.redis import SharedRedis
from tests.redis_server import RedisServer


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


async def test_latest_first_without_repeats_and_at_most_ten() -> None:
    store = MemoryRecent(clock=Clock())
    for n in range(15):
        await store.add("U1", f"c{n}", "C1")
    await store.add("U1", "c3")
    refs = [x.ref for x in await store.recent("U1")]
    assert refs[0] == "c3"
    assert len(refs) == RECENT_LIMIT == len(set(refs))
    assert refs[1:4] == ["c14", "c13", "c12"]


async def test_per_user_and_never_anyone_elses() -> None:
    store = MemoryRecent(clock=Clock())
    await store.add("U1", "c1", "C1")
    assert await store.recent("U2") == []
    assert [x.channel for x in await store.recent("U1")] == ["C1"]


async def test_forgotten_after_thirty_days() -> None:
    clock = Clock()
    store = MemoryRecent(clock=clock)
    await store.add("U1", "old")
    clock.t += RECENT_SECONDS - 10
    await store.add("U1", "new")
    assert [x.ref for x in await store.recent("U1")] == ["new", "old"]
    clock.t += 20
    assert [x.ref for x in await store.recent("U1")] == ["new"]


async def test_memory_is_bounded_by_users() -> None:
    store = MemoryRecent(max_users=3, clock=Clock())
    for n in range(10):
        await store.add(f"U{n}", "c1")
    assert sum([bool(await store.recent(f"U{n}")) for n in range(10)]) == 3


@pytest.fixture
async def replicas(redis: RedisServer) -> list[SharedRedis]:
    return [SharedRedis.from_url(redis.url, cooldown=0.0) for _ in range(2)]


async def test_two_replicas_share_a_users_list_with_a_30_day_expiry(
    replicas: list[SharedRedis],
) -> None:
    a, b = SharedRecent(replicas[0]), SharedRecent(replicas[1])
    await a.add("U1", "c1", "C1")
    await b.add("U1", "c2", "")
    assert [x.ref for x in await a.recent("U1")] == ["c2", "c1"]
    assert await b.recent("U2") == []
    ttl = await replicas[0].client.pttl(replicas[0].key("recent", "U1"))
    assert RECENT_SECONDS * 1000 - 60_000 < ttl <= RECENT_SECONDS * 1000
    for shared in replicas:
        await shared.aclose()


async def test_redis_down_falls_back_to_what_this_process_saw(
    redis: RedisServer, replicas: list[SharedRedis]
) -> None:
    a = SharedRecent(replicas[0])
    await a.add("U1", "c1")
    redis.stop()
    await a.add("U1", "c2")
    assert [x.ref for x in await a.recent("U1")] == ["c2", "c1"]
    redis.start()
    for shared in replicas:
        await shared.aclose()
