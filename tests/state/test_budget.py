"""The shared moving window on a real redis-server: replicas together stay within it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.pivotal.errors import PivotalRateLimited
from bot.pivotal.ratelimit import RateGovernor
from bot.state.budget import RedisBudget, key_fingerprint
from bot.state.redis import SharedRedis
from tests.redis_server import RedisServer

KEY = key_fingerprint("pivotal_test_budget")


@pytest.fixture
async def replicas(redis: RedisServer) -> AsyncIterator[list[SharedRedis]]:
    # A generous bound: these tests are about the window, not about a slow machine.
    shared = [SharedRedis.from_url(redis.url, cooldown=0.0, op_timeout=2.0) for _ in range(3)]
    yield shared
    for one in shared:
        await one.aclose()


async def test_three_replicas_share_one_window(replicas: list[SharedRedis]) -> None:
    budgets = [RedisBudget(r, KEY) for r in replicas]
    results = await asyncio.gather(*(budgets[i % 3].take(10, keep=0) for i in range(25)))
    assert results.count(0.0) == 10
    refused = [wait for wait in results if wait]
    assert len(refused) == 15
    assert all(0 < wait <= 61 for wait in refused)
    assert await budgets[0].remaining(10) == 0


async def test_a_limit_learned_later_counts_the_same_requests(
    replicas: list[SharedRedis],
) -> None:
    budget = RedisBudget(replicas[0], KEY)
    assert [await budget.take(5, keep=0) for _ in range(5)] == [0.0] * 5
    assert [await budget.take(8, keep=0) for _ in range(4)].count(0.0) == 3


async def test_background_leaves_the_reserve_to_users(replicas: list[SharedRedis]) -> None:
    budget = RedisBudget(replicas[0], KEY)
    taken = [await budget.take(10, keep=3) for _ in range(10)]
    assert taken.count(0.0) == 7  # three slots stay for interactive lookups
    assert await budget.take(10, keep=0) == 0.0


async def test_every_key_is_under_the_prefix_and_expires(
    replicas: list[SharedRedis], redis: RedisServer
) -> None:
    budget = RedisBudget(replicas[0], KEY)
    await budget.take(10, keep=0)
    await budget.block(budget._wall() + 30)
    client = replicas[0].client
    keys = [k.decode() for k in await client.keys("*")]
    assert len(keys) == 2
    assert "pivotal_test_budget" not in " ".join(keys)
    for key in keys:
        assert key.startswith("pivotal-bot:v1:budget")
        assert await client.pttl(key) > 0


async def test_a_429_on_one_replica_holds_the_others(replicas: list[SharedRedis]) -> None:
    now = 1_700_000_000.0
    governors = [
        RateGovernor(budget=RedisBudget(r, KEY), wall=lambda: now, clock=lambda: 10.0)
        for r in replicas[:2]
    ]
    governors[0].observe({"retry-after": "20", "x-ratelimit-limit": "60"}, 429)
    await governors[0].share_block()
    with pytest.raises(PivotalRateLimited) as caught:
        await governors[1].admit()
    assert caught.value.retry_after is not None
    assert caught.value.retry_after == pytest.approx(20)


async def test_redis_down_means_this_process_alone(
    replicas: list[SharedRedis], redis: RedisServer
) -> None:
    governor = RateGovernor(budget=RedisBudget(replicas[0], KEY))
    redis.stop()
    await governor.admit()  # nothing known locally, the shared window cannot say
    await governor.wait_for_background()
    assert not replicas[0].up
