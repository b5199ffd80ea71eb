"""The Slack pacer's store: one contract in memory and in a real Redis, and what Redis adds."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.state.pacer import MemoryPacer, SharedPacer, SlackPacer
from bot.state.redis import SharedRedis
from tests.redis_server import RedisServer


@pytest.fixture(params=["memory", "redis"])
async def pacer(request: pytest.FixtureRequest) -> AsyncIterator[SlackPacer]:
    if request.param == "memory":
        yield MemoryPacer()
        return
    server: RedisServer = request.getfixturevalue("redis")
    shared = SharedRedis.from_url(server.url, cooldown=0.0)
    yield SharedPacer(shared)
    await shared.aclose()


def about(wait: float, seconds: float) -> bool:
    return seconds - 1.0 < wait <= seconds


# --- the contract, for every store ---------------------------------------------------------


async def test_one_call_goes_per_app_gap(pacer: SlackPacer) -> None:
    assert await pacer.slot("C1", 60.0, 0.0) == 0.0
    assert about(await pacer.slot("C2", 60.0, 0.0), 60.0)  # another channel waits too


async def test_a_channel_has_its_own_gap_inside_the_apps(pacer: SlackPacer) -> None:
    assert await pacer.slot("C1", 0.0, 30.0) == 0.0
    assert about(await pacer.slot("C1", 0.0, 30.0), 30.0)
    assert await pacer.slot("C2", 0.0, 30.0) == 0.0  # other channels are free


async def test_a_waiting_call_takes_no_turn(pacer: SlackPacer) -> None:
    assert await pacer.slot("C1", 0.0, 30.0) == 0.0
    assert about(await pacer.slot("C1", 0.0, 30.0), 30.0)
    assert about(await pacer.slot("C1", 0.0, 30.0), 30.0)  # the same turn, not pushed on


async def test_an_app_hold_keeps_every_channel_back(pacer: SlackPacer) -> None:
    await pacer.hold(30.0)
    assert about(await pacer.slot("C1", 0.0, 0.0), 30.0)
    assert about(await pacer.slot("C2", 0.0, 0.0), 30.0)


async def test_a_channel_hold_keeps_only_that_channel_back(pacer: SlackPacer) -> None:
    await pacer.hold(30.0, "C1")
    assert about(await pacer.slot("C1", 0.0, 0.0), 30.0)
    assert await pacer.slot("C2", 0.0, 0.0) == 0.0


async def test_a_hold_never_shortens_a_longer_one(pacer: SlackPacer) -> None:
    await pacer.hold(30.0)
    await pacer.hold(2.0)
    assert about(await pacer.slot("C1", 0.0, 0.0), 30.0)
    await pacer.hold(40.0, "C1")
    await pacer.hold(1.0, "C1")
    assert about(await pacer.slot("C1", 0.0, 0.0), 40.0)


async def test_a_hold_outlasts_a_shorter_turn(pacer: SlackPacer) -> None:
    assert await pacer.slot("C1", 5.0, 5.0) == 0.0
    await pacer.hold(30.0, "C1")
    assert about(await pacer.slot("C1", 0.0, 0.0), 30.0)


# --- memory: the clock, and a bound on channels --------------------------------------------


async def test_memory_turns_come_round_with_the_clock() -> None:
    now = [100.0]
    pacer = MemoryPacer(monotonic=lambda: now[0])
    assert await pacer.slot("C1", 1.2, 1.0) == 0.0
    assert await pacer.slot("C1", 1.2, 1.0) == pytest.approx(1.2)
    now[0] += 1.2
    assert await pacer.slot("C1", 1.2, 1.0) == 0.0
    await pacer.hold(7.0)
    now[0] += 6.0
    assert await pacer.slot("C2", 1.2, 1.0) == pytest.approx(1.0)


async def test_memory_forgets_channels_whose_turn_is_past() -> None:
    now = [0.0]
    pacer = MemoryPacer(monotonic=lambda: now[0])
    for n in range(20_001):
        now[0] += 1.0
        assert await pacer.slot(f"C{n}", 0.0, 0.5) == 0.0
    assert len(pacer._channels) <= 10_001


# --- Redis: one pace for every replica, and down -------------------------------------------


@pytest.fixture
async def replicas(redis: RedisServer) -> AsyncIterator[list[SharedRedis]]:
    clients = [SharedRedis.from_url(redis.url, cooldown=0.0) for _ in range(2)]
    yield clients
    for client in clients:
        await client.aclose()


async def test_replicas_share_the_pace_and_the_holds(replicas: list[SharedRedis]) -> None:
    one, two = SharedPacer(replicas[0]), SharedPacer(replicas[1])
    assert await one.slot("C1", 60.0, 0.0) == 0.0
    assert about(await two.slot("C2", 60.0, 0.0), 60.0)
    await replicas[0].delete(replicas[0].key("slack-pace", "app"))
    await two.hold(30.0, "C1")
    assert about(await one.slot("C1", 0.0, 0.0), 30.0)
    assert await one.slot("C2", 0.0, 0.0) == 0.0


async def test_a_replica_never_shortens_another_replicas_hold(
    replicas: list[SharedRedis],
) -> None:
    one, two = SharedPacer(replicas[0]), SharedPacer(replicas[1])
    await one.hold(30.0)
    await two.hold(1.0)  # a shorter Retry-After seen by the other replica
    assert about(await SharedPacer(replicas[1]).slot("C1", 0.0, 0.0), 30.0)


async def test_every_key_expires(replicas: list[SharedRedis]) -> None:
    pacer = SharedPacer(replicas[0])
    await pacer.slot("C1", 2.0, 1.0)
    await pacer.hold(5.0, "C2")
    client = replicas[0].client
    keys = await client.keys(replicas[0].key("slack-pace", "*"))
    assert len(keys) == 3
    ttls = [await client.pttl(k) for k in keys]
    assert all(0 < ttl <= 5000 for ttl in ttls), ttls


async def test_redis_down_paces_each_replica_by_itself(
    redis: RedisServer, replicas: list[SharedRedis]
) -> None:
    pacer = SharedPacer(replicas[0])
    await pacer.hold(45.0, "C9")  # remembered here as well as in Redis
    redis.hang()
    try:
        assert await pacer.slot("C1", 0.0, 30.0) == 0.0
        assert about(await pacer.slot("C1", 0.0, 30.0), 30.0)
        assert about(await pacer.slot("C9", 0.0, 0.0), 45.0)
    finally:
        redis.resume()
