"""`pivotal-bot check` on Redis: reachable with its latency, and who is walking."""

from __future__ import annotations

from bot.check import check_redis
from bot.config import settings_from
from bot.state.redis import SharedRedis
from tests.redis_server import RedisServer, free_port

BASE = {"slack_bot_token": "xoxb-check", "pivotal_api_key": "pivotal_test_check"}


async def test_reachable_with_latency_and_nobody_walking(redis: RedisServer) -> None:
    items = await check_redis(settings_from(**BASE, redis_url=redis.url))
    assert all(item.ok for item in items)
    text = " ".join(item.text for item in items)
    assert "Redis answers" in text and " ms" in text
    assert "no replica is walking" in text


async def test_reports_a_replica_walking_the_list(redis: RedisServer) -> None:
    shared = SharedRedis.from_url(redis.url)
    try:
        assert await shared.lock(shared.key("directory", "walk"), 30)
        items = await check_redis(settings_from(**BASE, redis_url=redis.url))
    finally:
        await shared.aclose()
    assert any("a replica is walking the customer list now" in item.text for item in items)


async def test_unreachable_redis_is_reported_with_the_fix() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    (item,) = await check_redis(settings_from(**BASE, redis_url=url))
    assert not item.ok
    assert "REDIS_URL" in item.fix


async def test_without_redis_url_state_stays_in_process() -> None:
    (item,) = await check_redis(settings_from(**BASE))
    assert item.ok and "in this process" in item.text
