"""Two or three real `pivotal-bot serve` processes sharing one Redis behave as one bot."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.sandbox.pivotal.server import SandboxPivotal
from tests.redis_server import RedisServer
from tests.replicas.cluster import Cluster, answered, cluster, statuses, until

LINK = "https://my.pivotal.app/customers/42"


async def logged(cluster: Cluster, index: int, text: str, timeout: float = 10) -> None:
    replica = cluster.replicas[index]

    async def seen() -> bool:
        return text in replica.log()

    await until(seen, timeout, f"{replica.name} did not log {text!r}")


@pytest.mark.parametrize(("shared", "unfurls"), [(True, 1), (False, 2)], ids=["redis", "alone"])
async def test_a_retried_event_on_another_replica_unfurls_once(
    redis: RedisServer, shared: bool, unfurls: int
) -> None:
    async with cluster(redis.url if shared else None) as group:
        first, second = [await group.start_replica() for _ in range(2)]
        ack = await first.driver.link_shared([LINK], event_id="EvRETRIED1")
        assert ack.status_code == 200
        await group.slack.wait_for("chat.unfurl", 1)
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        ack = await second.driver.link_shared([LINK], event_id="EvRETRIED1", headers=retry)
        assert ack.status_code == 200
        if shared:
            await logged(group, 1, "event=slack.event.duplicate")
        else:
            await group.slack.wait_for("chat.unfurl", 2)
        assert len(group.slack.calls_to("chat.unfurl")) == unfurls


async def test_replicas_never_exceed_the_keys_window_together(redis: RedisServer) -> None:
    pivotal = SandboxPivotal(rate_limit=60)
    # Copies go stale at once, so every lookup wants Pivotal: about 5x the key's budget.
    async with cluster(redis.url, pivotal=pivotal, CACHE_TTL_SECONDS="0.2") as group:
        replicas = [await group.start_replica() for _ in range(3)]
        ids = itertools.cycle(c["display_id"] for c in pivotal.customers)
        drivers = itertools.cycle(r.driver for r in replicas)
        tokens = []
        for _ in range(15):
            batch = [next(drivers).command(str(next(ids))) for _ in range(20)]
            for ack, token in await asyncio.gather(*batch):
                assert ack.status_code == 200
                tokens.append((ack, token))
        answers = [
            ack.json() if ack.content else await replicas[0].driver.answer(token, timeout=15)
            for ack, token in tokens
        ]
        assert len(answers) == 300 and all(answered(a) for a in answers)
        sent = statuses(pivotal)
        assert 429 not in sent
        assert 0 < len(sent) <= 60


async def test_redis_stopped_hung_and_restarted_loses_no_answer(redis: RedisServer) -> None:
    # Stale copies at once: every lookup asks Pivotal, so it counts in the shared budget.
    async with cluster(redis.url, CACHE_TTL_SECONDS="0.2") as group:
        replicas = [await group.start_replica() for _ in range(2)]
        unfurls = itertools.count(1)
        ids = itertools.cycle(c["display_id"] for c in group.pivotal.customers[:20])

        async def round_of_lookups() -> None:
            for replica in replicas:
                for _ in range(5):
                    card = await replica.driver.lookup(str(next(ids)))
                    assert card["blocks"][0]["type"] == "header", card
                n = next(unfurls)  # event dedupe goes through Redis
                await replica.driver.link_shared([LINK], event_id=f"EvOUTAGE{n:04d}")
                await group.slack.wait_for("chat.unfurl", n)
                for path in ("/healthz", "/readyz"):
                    assert (await group.http.get(replica.url + path)).status_code == 200

        await round_of_lookups()
        redis.stop()
        await round_of_lookups()
        redis.start()
        redis.hang()
        await round_of_lookups()
        redis.resume()
        redis.restart()

        async def all_back() -> bool:
            pages = [await group.metrics(r) for r in replicas]
            return all("pivotal_bot_redis_up 1.0" in page for page in pages)

        await until(all_back, 20, "replicas did not return to Redis")
        await round_of_lookups()
        for index, replica in enumerate(replicas):
            await logged(group, index, "event=redis.up")
            downs = replica.log().count("event=redis.down")
            assert 1 <= downs <= 3, replica.log()  # once per outage, never per request


@pytest.mark.parametrize(("shared", "gets"), [(True, 1), (False, 3)], ids=["redis", "alone"])
async def test_a_cold_burst_over_replicas_costs_one_get(
    redis: RedisServer, shared: bool, gets: int
) -> None:
    async with cluster(redis.url if shared else None) as group:
        replicas = [await group.start_replica() for _ in range(3)]
        newcomer = {**group.pivotal.customers[0], "id": "cburst0000000000000000xx",
                    "display_id": 9001, "name": "Burst Newcomer"}  # fmt: skip
        group.pivotal.upsert(newcomer)  # after the walks: no replica holds a copy
        group.pivotal.clear_requests()
        group.pivotal.latency = 0.15
        sent = await asyncio.gather(*(replicas[i % 3].driver.command("9001") for i in range(30)))
        for ack, token in sent:
            assert ack.status_code == 200
            answer = ack.json() if ack.content else await replicas[0].driver.answer(token)
            assert answer["blocks"][0]["text"]["text"] == "Burst Newcomer"
        assert group.pivotal.customer_gets() == gets


async def test_a_new_replica_is_ready_from_redis_without_walking(redis: RedisServer) -> None:
    async with cluster(redis.url) as group:
        await group.start_replica()
        assert group.pivotal.list_calls() == 1
        group.pivotal.clear_requests()
        newer = await group.start_replica()
        await logged(group, 1, "event=directory.loaded source=redis")
        ready = (await group.http.get(newer.url + "/readyz")).json()
        assert ready["customers"] == len(group.pivotal.customers)
        card = await newer.driver.lookup("Acme Co.")
        assert card["blocks"][0]["text"]["text"] == "Acme Co."
        assert group.pivotal.list_calls() == 0
