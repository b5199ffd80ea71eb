"""Event dedupe and sharing cache over Redis: shared when up, per-process when down."""

from __future__ import annotations

import fakeredis
import pytest

from bot.state.redis import SharedRedis
from bot.state.shared import SharedEvents, SharedSharing


@pytest.fixture
def server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


def replica(server: fakeredis.FakeServer) -> SharedRedis:
    return SharedRedis(fakeredis.FakeAsyncRedis(server=server), cooldown=0.0)


async def test_an_event_is_first_on_one_replica_only(server: fakeredis.FakeServer) -> None:
    a, b = SharedEvents(replica(server)), SharedEvents(replica(server))
    assert await a.first_time("Ev1")
    assert not await b.first_time("Ev1")
    assert not await a.first_time("Ev1")
    assert await b.first_time("Ev2")
    ttl = await replica(server).client.pttl("pivotal-bot:v1:event:Ev1")
    assert 3_500_000 < ttl <= 3_600_000


async def test_dedupe_is_per_process_while_redis_is_down(server: fakeredis.FakeServer) -> None:
    a, b = SharedEvents(replica(server)), SharedEvents(replica(server))
    assert await a.first_time("Ev1")
    server.connected = False
    assert not await a.first_time("Ev1")  # remembered here
    assert await b.first_time("Ev3")
    assert not await b.first_time("Ev3")
    server.connected = True
    assert not await b.first_time("Ev1")  # the claim from before the outage still stands


async def test_a_restarted_empty_redis_does_not_replay_what_a_replica_saw(
    server: fakeredis.FakeServer,
) -> None:
    a = SharedEvents(replica(server))
    assert await a.first_time("Ev1")
    await replica(server).client.flushall()
    assert not await a.first_time("Ev1")


async def test_sharing_learned_on_one_replica_is_known_to_the_others(
    server: fakeredis.FakeServer,
) -> None:
    a, b = SharedSharing(replica(server)), SharedSharing(replica(server))
    assert await b.get("C1") is None
    await a.put("C1", True)
    assert await b.get("C1") is True
    await a.forget("C1")  # channel_unshared seen by a
    assert await b.get("C1") is None


async def test_sharing_falls_back_to_memory_when_redis_is_down(
    server: fakeredis.FakeServer,
) -> None:
    a = SharedSharing(replica(server))
    await a.put("C1", False)
    server.connected = False
    assert await a.get("C1") is False
    await a.put("C2", True)
    assert await a.get("C2") is True
