"""Live cards across replicas on a real redis-server: every card redrawn once per change."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from bot.blocks.message import CardSettings
from bot.slack.live import LiveCards
from bot.slack.webapi import Pace, Pacer
from bot.state.live import Posted
from bot.state.live_shared import SharedLiveCards
from bot.state.pacer import SharedPacer
from bot.state.redis import SharedRedis
from tests.redis_server import RedisServer
from tests.unit.live_fakes import FakeClient, FakeLookup, acme

CARDS = CardSettings(app_url="https://my.pivotal.app")


class Replica:
    """One process's LiveCards: its own Redis connection, the shared Slack and Pivotal."""

    def __init__(self, url: str, client: FakeClient, lookup: FakeLookup):
        self.redis = SharedRedis.from_url(url, cooldown=0.0)
        pacer = Pacer(SharedPacer(self.redis), pace=Pace(app=0.0, channel=0.0))
        self.live = LiveCards(client, lookup, CARDS, SharedLiveCards(self.redis),  # type: ignore[arg-type]
                              pacer=pacer, held_retry=0.05)  # fmt: skip
        self.task = asyncio.create_task(self.live.run())

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.redis.aclose()


@pytest.fixture
async def world(redis: RedisServer) -> AsyncIterator[tuple[str, FakeClient, FakeLookup]]:
    client, lookup = FakeClient(), FakeLookup(acme(0))
    client.delay = 0.02  # long enough for the replicas to meet on the same card
    yield redis.url, client, lookup


async def settle(client: FakeClient, replicas: list[Replica], expected: int) -> None:
    """Wait for `expected` calls, then long enough for any extra one to show."""
    for _ in range(500):
        if len(client.calls) >= expected:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # past every look-again (0.05 s) and call (0.02 s)
    assert all(r.live.idle for r in replicas)


def per_message(client: FakeClient) -> Counter[str]:
    return Counter(kw["ts"] for _, kw in client.calls)


async def test_three_replicas_told_of_one_change_update_each_card_once(
    world: tuple[str, FakeClient, FakeLookup],
) -> None:
    url, client, lookup = world
    replicas = [Replica(url, client, lookup) for _ in range(3)]
    try:
        for n in range(12):  # shared through whichever replica answered
            await replicas[n % 3].live.remember(42, Posted("C0GENERAL", f"17.{n:04d}", "full"))
        lookup.customer = acme(1, plan="growth")
        for replica in replicas:  # the receiver applies it, the others hear it on the stream
            replica.live.changed(42)
        await settle(client, replicas, 12)
        assert per_message(client) == {f"17.{n:04d}": 1 for n in range(12)}
        # Told again with nothing new: nobody calls Slack.
        for replica in replicas:
            replica.live.changed(42)
        await settle(client, replicas, 12)
        assert len(client.calls) == 12
        assert sum(r.live.unchanged for r in replicas) >= 12
    finally:
        for replica in replicas:
            await replica.stop()


async def test_a_card_shared_before_a_restart_follows_on_another_replica(
    world: tuple[str, FakeClient, FakeLookup],
) -> None:
    url, client, lookup = world
    first = Replica(url, client, lookup)
    await first.live.remember(42, Posted("C0GENERAL", "17.0001", "full", shared_by="U0PERSON"))
    await first.stop()  # the replica that shared it is gone
    later = Replica(url, client, lookup)  # a fresh process: nothing in memory
    try:
        lookup.customer = acme(1, plan="growth")
        later.live.changed(42)
        await settle(client, [later], 1)
        ((method, sent),) = client.calls
        assert method == "chat.update" and sent["ts"] == "17.0001"
        assert "Shared by <@U0PERSON>" in str(sent["blocks"]) and "growth" in sent["text"]
    finally:
        await later.stop()


async def test_the_pacer_spaces_calls_across_replicas(
    world: tuple[str, FakeClient, FakeLookup],
) -> None:
    url, client, lookup = world
    client.delay = 0.0
    replicas = [Replica(url, client, lookup) for _ in range(2)]
    for replica in replicas:
        replica.live.gap = 0.2
    try:
        for n in range(4):
            await replicas[0].live.remember(42, Posted("C0GENERAL", f"17.{n:04d}", "full"))
        lookup.customer = acme(1, plan="growth")
        for replica in replicas:
            replica.live.changed(42)
        await settle(client, replicas, 4)
        assert len(client.calls) == 4
        # One pace of 0.2 s shared by both replicas: no two calls closer than that.
        gaps = [b - a for a, b in zip(client.times, client.times[1:], strict=False)]
        assert min(gaps) >= 0.19, gaps
    finally:
        for replica in replicas:
            await replica.stop()
