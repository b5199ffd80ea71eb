"""SharedRedis: JSON under one prefix with TTLs, locks, and the circuit breaker."""

from __future__ import annotations

import logging

import fakeredis
import pytest

from bot.state.redis import SharedRedis
from tests.redis_server import RedisServer


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def shared(server: fakeredis.FakeServer, clock: Clock) -> SharedRedis:
    return SharedRedis(fakeredis.FakeAsyncRedis(server=server), clock=clock)


async def test_json_round_trip_under_the_prefix_with_a_ttl(shared: SharedRedis) -> None:
    key = shared.key("copies", "42")
    assert key == "pivotal-bot:v1:copies:42"
    assert await shared.set_json(key, {"name": "Acme", "mrr": 12.5}, ttl=30)
    assert await shared.get_json(key) == {"name": "Acme", "mrr": 12.5}
    assert 0 < await shared.client.pttl(key) <= 30_000
    assert await shared.get_many_json([key, shared.key("none")]) == [
        {"name": "Acme", "mrr": 12.5},
        None,
    ]


async def test_a_value_that_is_not_json_reads_as_missing(shared: SharedRedis) -> None:
    await shared.client.set(shared.key("x"), b"\x80\x04pickle")
    assert await shared.get_json(shared.key("x")) is None


async def test_claim_is_true_once(shared: SharedRedis) -> None:
    key = shared.key("event", "Ev1")
    assert await shared.claim(key, 60) is True
    assert await shared.claim(key, 60) is False


async def test_lock_is_exclusive_extendable_and_released_only_by_its_holder(
    shared: SharedRedis,
) -> None:
    key = shared.key("lock", "walk")
    token = await shared.lock(key, 5)
    assert token is not None
    assert await shared.lock(key, 5) is None
    assert await shared.holder(key) is True
    assert await shared.extend(key, token, 10)
    assert not await shared.extend(key, "not-mine", 10)
    await shared.unlock(key, "not-mine")
    assert await shared.holder(key) is True
    await shared.unlock(key, token)
    assert await shared.holder(key) is False


async def test_an_outage_falls_back_warns_once_and_opens_the_breaker(
    shared: SharedRedis,
    server: fakeredis.FakeServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.state.redis")
    server.connected = False
    assert await shared.claim(shared.key("e"), 60) is None
    assert not shared.up
    for _ in range(50):
        assert await shared.get_json(shared.key("k")) is None
    downs = [r for r in caplog.records if "redis.down" in r.getMessage()]
    assert len(downs) == 1
    assert shared.fallbacks == 51 and shared.outages == 1

    server.connected = True
    # Breaker still open: no call reaches Redis until the cooldown has passed.
    assert await shared.set_json(shared.key("k"), 1, ttl=5) is False
    clock.t += 1.0
    assert await shared.set_json(shared.key("k"), 1, ttl=5) is True
    assert shared.up
    assert any("redis.up" in r.getMessage() for r in caplog.records)


async def test_the_cooldown_grows_while_redis_stays_down(
    shared: SharedRedis, server: fakeredis.FakeServer, clock: Clock
) -> None:
    server.connected = False
    await shared.ping()
    clock.t += 1.0
    assert await shared.ping() is None  # the probe fails: next one in 2 s
    server.connected = True
    clock.t += 1.5
    assert await shared.ping() is None  # still open, no call
    clock.t += 0.5
    assert await shared.ping() is not None
    assert shared.up and shared.outages == 1


async def test_real_server_stopped_hung_and_restarted(redis: RedisServer) -> None:
    shared = SharedRedis.from_url(redis.url, cooldown=0.0)
    try:
        assert await shared.ping() is not None
        redis.hang()
        assert await shared.get_json(shared.key("k")) is None  # past the op timeout
        assert not shared.up
        redis.resume()
        assert await shared.set_json(shared.key("k"), [1], ttl=5)
        assert shared.up
        redis.stop()
        assert await shared.set_json(shared.key("k"), [2], ttl=5) is False
        assert not shared.up
        redis.start()
        assert await shared.get_json(shared.key("k")) is None  # a fresh, empty server
        assert shared.up and shared.outages == 2
    finally:
        await shared.aclose()
