"""The Redis freshness store and cross-replica single-flight, on fakeredis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import fakeredis
import pytest

from bot.lookup.directory import Snapshot
from bot.pivotal.errors import CustomerNotFound
from bot.state.copies import RedisCopyStore
from bot.state.flights import SharedFlights
from bot.state.redis import SharedRedis
from tests.unit.customers import make_customer

NOW = 1_700_000_000.0


@pytest.fixture
def server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


def store(server: fakeredis.FakeServer) -> RedisCopyStore:
    return RedisCopyStore(SharedRedis(fakeredis.FakeAsyncRedis(server=server), cooldown=0.0))


def snap(n: int, at: float = NOW) -> Snapshot:
    return Snapshot(make_customer(n), at, datetime.fromtimestamp(at, UTC))


async def test_a_copy_put_on_one_replica_is_pulled_by_another(
    server: fakeredis.FakeServer,
) -> None:
    a, b = store(server), store(server)
    await a.put(snap(42))
    assert b.copy("42") is None  # sync reads never do I/O
    await b.pull("42")
    pulled = b.copy("42")
    assert pulled is not None and pulled == snap(42)
    await b.pull("cus_0042")
    assert b.copy("cus_0042") == snap(42)


async def test_a_tombstone_travels_and_hides_older_copies(server: fakeredis.FakeServer) -> None:
    a, b = store(server), store(server)
    await a.put(snap(7))
    await b.pull("7")
    await a.tombstone("7", {"7", "cus_0007"}, NOW + 5)
    await b.pull("7")
    assert b.gone_at("7") == NOW + 5
    assert b.missing_since("7") == NOW + 5
    fresh = store(server)
    await fresh.pull("7")
    assert fresh.copy("7") is None
    await a.put(snap(7, NOW + 10))  # back again: the newer copy wins over the tombstone
    await fresh.pull("7")
    assert fresh.copy("7") == snap(7, NOW + 10)
    assert fresh.gone_at("7") is None


async def test_every_key_is_json_with_a_ttl(server: fakeredis.FakeServer) -> None:
    a = store(server)
    await a.put(snap(3))
    await a.tombstone("99", {"99"}, NOW)
    client = fakeredis.FakeAsyncRedis(server=server)
    keys = await client.keys("*")
    assert keys
    for key in keys:
        assert key.startswith(b"pivotal-bot:v1:")
        assert await client.pttl(key) > 0
        assert (await client.get(key)).startswith((b"{", b"1"))


async def test_a_bad_value_in_redis_is_ignored(server: fakeredis.FakeServer) -> None:
    client = fakeredis.FakeAsyncRedis(server=server)
    await client.set("pivotal-bot:v1:copy:5", b'{"customer": {"id": 1}}')
    b = store(server)
    await b.pull("5")
    assert b.copy("5") is None


async def test_with_redis_down_the_mirror_still_answers(server: fakeredis.FakeServer) -> None:
    a = store(server)
    server.connected = False
    await a.put(snap(8))
    await a.pull("8")
    assert a.copy("8") == snap(8)


class Watched(SharedRedis):
    """Counts how often this replica looked at a lock another one holds."""

    polls = 0

    async def holder(self, key: str) -> bool | None:
        self.polls += 1
        return await super().holder(key)


def flights(server: fakeredis.FakeServer) -> tuple[SharedFlights, RedisCopyStore]:
    shared = Watched(fakeredis.FakeAsyncRedis(server=server), cooldown=0.0)
    copies = RedisCopyStore(shared)
    return SharedFlights(shared, copies, lease=2.0), copies


async def until_polled(*replicas: SharedFlights) -> None:
    """Yield to the loop until every replica is waiting on the holder's lock."""
    for _ in range(10_000):
        if all(r._redis.polls for r in replicas):  # type: ignore[attr-defined]
            return
        await asyncio.sleep(0)
    raise TimeoutError("the other replicas never waited on the lock")


async def test_concurrent_misses_on_three_replicas_cost_one_fetch(
    server: fakeredis.FakeServer,
) -> None:
    replicas = [flights(server) for _ in range(3)]
    fetches = 0
    release = asyncio.Event()

    def work_for(copies: RedisCopyStore):  # type: ignore[no-untyped-def]
        async def work() -> Snapshot:
            nonlocal fetches
            fetches += 1
            await release.wait()
            fresh = snap(42, datetime.now(UTC).timestamp())
            await copies.put(fresh)
            return fresh

        return work

    calls = [
        asyncio.create_task(flight.run("42", work_for(copies)))
        for flight, copies in replicas
        for _ in range(4)
    ]
    await until_polled(*(flight for flight, _ in replicas[1:]))
    release.set()
    results = await asyncio.gather(*calls)
    assert fetches == 1
    assert {r.customer.display_id for r in results} == {42}


async def test_a_404_seen_by_the_holder_is_a_404_for_the_waiters(
    server: fakeredis.FakeServer,
) -> None:
    (first, first_copies), (second, _) = flights(server), flights(server)
    go = asyncio.Event()

    async def not_found() -> Snapshot:
        await go.wait()
        await first_copies.tombstone("9", {"9"}, datetime.now(UTC).timestamp())
        raise CustomerNotFound("no such customer", status=404)

    async def never() -> Snapshot:
        raise AssertionError("the waiter must not fetch")

    holder = asyncio.create_task(first.run("9", not_found))
    for _ in range(10_000):  # until the holder has its lock
        if await first._redis.holder(first._redis.key("flight", "9")):
            break
        await asyncio.sleep(0)
    waiter = asyncio.create_task(second.run("9", never))
    await until_polled(second)
    go.set()
    with pytest.raises(CustomerNotFound):
        await waiter
    with pytest.raises(CustomerNotFound):
        await holder


async def test_with_redis_down_each_replica_fetches_for_itself(
    server: fakeredis.FakeServer,
) -> None:
    (a, _), (b, _) = flights(server), flights(server)
    server.connected = False
    fetched = []

    async def work() -> Snapshot:
        fetched.append(1)
        return snap(1)

    await asyncio.gather(a.run("1", work), b.run("1", work))
    assert len(fetched) == 2
