"""The freshness store: fresh, best (stale), tombstones, 404 memory, JSON form, single-flight."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.lookup.copies import (
    Copies,
    CopyStore,
    Fresh,
    MemoryCopyStore,
    dump_snapshot,
    load_snapshot,
)
from bot.lookup.directory import Snapshot
from bot.lookup.flights import LocalFlights
from tests.unit.customers import make_customer

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
EPOCH = 1_717_243_200.0  # T0 in epoch seconds: copies are stamped with wall-clock time
TTL = 300.0
NOT_FOUND_TTL = 30.0

# Every CopyStore implementation runs the same contract tests: add its factory here.
STORES: list[Callable[[], CopyStore]] = [MemoryCopyStore]


class Clock:
    def __init__(self) -> None:
        self.t = EPOCH

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)


class Listing:
    """The directory's side: snapshots by key, as Directory.get answers them."""

    def __init__(self) -> None:
        self.rows: dict[str, Snapshot] = {}

    def add(self, snap: Snapshot) -> None:
        self.rows[snap.customer.id] = self.rows[str(snap.customer.display_id)] = snap

    def __call__(self, key: str) -> Snapshot | None:
        return self.rows.get(key)


@pytest.fixture(params=STORES, ids=lambda f: getattr(f, "__name__", str(f)))
def store(request: pytest.FixtureRequest) -> CopyStore:
    factory: Callable[[], CopyStore] = request.param
    return factory()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def listing() -> Listing:
    return Listing()


@pytest.fixture
def copies(store: CopyStore, listing: Listing, clock: Clock) -> Copies:
    return Copies(store, listing, ttl=TTL, not_found_ttl=NOT_FOUND_TTL, clock=clock, now=clock.now)


def listed(n: int, at: float, name: str = "") -> Snapshot:
    return Snapshot(make_customer(n, name), at, datetime.fromtimestamp(at, UTC))


# --- put / fresh ------------------------------------------------------------------------


async def test_a_put_copy_is_fresh_under_both_keys_until_the_ttl(
    copies: Copies, clock: Clock
) -> None:
    snap = await copies.put(make_customer(7))
    assert (snap.fetched_at, snap.as_of) == (EPOCH, T0)
    assert copies.fresh("7") == copies.fresh("cus_0007") == Fresh(snap, "cache")
    clock.t += TTL - 0.01
    assert copies.fresh("7") == Fresh(snap, "cache")
    clock.t += 0.01
    assert copies.fresh("7") is None
    assert copies.best("7") is snap
    assert copies.fresh("8") is None
    assert copies.best("8") is None


async def test_a_newer_put_replaces_the_older(copies: Copies, clock: Clock) -> None:
    await copies.put(make_customer(7, "Old"))
    clock.t += 10
    newer = await copies.put(make_customer(7, "New"))
    assert copies.best("cus_0007") is newer


async def test_the_directory_copy_answers_when_it_is_newer(
    copies: Copies, listing: Listing, clock: Clock
) -> None:
    mine = await copies.put(make_customer(7, "Fetched"))
    listing.add(listed(7, EPOCH - 5, "Walked earlier"))
    assert copies.fresh("7") == Fresh(mine, "cache")
    newer = listed(7, EPOCH + 5, "Walked later")
    listing.add(newer)
    clock.t += 5
    assert copies.fresh("7") == Fresh(newer, "directory")
    clock.t += TTL
    assert copies.fresh("7") is None
    assert copies.best("7") is newer


# --- tombstones and the not-found memory ------------------------------------------------


async def test_a_tombstone_forgets_every_copy_of_the_customer(
    copies: Copies, listing: Listing, clock: Clock
) -> None:
    await copies.put(make_customer(7))
    listing.add(listed(7, EPOCH))
    clock.t += 1
    await copies.tombstone("7")
    for key in ("7", "cus_0007"):
        assert copies.fresh(key) is None
        assert copies.best(key) is None  # the directory's older copy is gone too
    assert copies.missing("7")
    assert not copies.missing("cus_0007")  # only the key that was asked is remembered


async def test_a_directory_copy_newer_than_the_tombstone_counts_again(
    copies: Copies, listing: Listing, clock: Clock
) -> None:
    listing.add(listed(7, EPOCH))
    await copies.tombstone("7")
    assert copies.best("7") is None
    recreated = listed(7, EPOCH + 60, "Again")
    listing.add(recreated)
    clock.t += 60
    assert copies.best("7") is recreated


async def test_not_found_is_remembered_for_the_not_found_ttl(copies: Copies, clock: Clock) -> None:
    assert not copies.missing("404")
    await copies.tombstone("404")
    clock.t += NOT_FOUND_TTL - 0.01
    assert copies.missing("404")
    clock.t += 0.01
    assert not copies.missing("404")


async def test_a_put_clears_tombstone_and_not_found_memory(
    copies: Copies, listing: Listing, clock: Clock
) -> None:
    listing.add(listed(7, EPOCH))
    await copies.tombstone("7")
    clock.t += 1
    again = await copies.put(make_customer(7, "Recreated"))
    assert not copies.missing("7")
    assert copies.fresh("cus_0007") == Fresh(again, "cache")


async def test_a_stale_copy_written_elsewhere_ages_by_wall_clock(
    store: CopyStore, listing: Listing, clock: Clock
) -> None:
    # Another replica wrote the copy 200 s ago (epoch seconds mean the same everywhere).
    await store.put(listed(7, EPOCH - 200))
    copies = Copies(store, listing, ttl=TTL, not_found_ttl=NOT_FOUND_TTL, clock=clock,
                    now=clock.now)  # fmt: skip
    assert copies.fresh("7") is not None
    clock.t += 100
    assert copies.fresh("7") is None


async def test_pull_keeps_what_local_memory_holds(copies: Copies) -> None:
    snap = await copies.put(make_customer(7))
    await copies.pull("7")
    await copies.pull("8")
    assert copies.best("7") is snap
    assert copies.best("8") is None


def test_the_memory_store_is_bounded() -> None:
    store = MemoryCopyStore(max_entries=4, max_missing=2)
    for n in range(10):
        asyncio.run(store.put(listed(n, EPOCH)))
        asyncio.run(store.tombstone(f"x{n}", [f"x{n}"], EPOCH))
    assert sum(store.copy(str(n)) is not None for n in range(10)) == 2  # two keys per customer
    assert sum(store.missing_since(f"x{n}") is not None for n in range(10)) == 2
    assert sum(store.gone_at(f"x{n}") is not None for n in range(10)) == 4


# --- the JSON form ----------------------------------------------------------------------


def test_a_snapshot_round_trips_through_json() -> None:
    customer = make_customer(
        42, "Acme & <Co>", plan="pro", mrr=125_000, slack_channel_id="C1", domain="acme.com",
        updated_at="2024-06-01T10:00:00.123456+02:00",
    )  # fmt: skip
    snap = Snapshot(customer, EPOCH + 0.25, T0 + timedelta(microseconds=7))
    wire = json.dumps(dump_snapshot(snap))
    assert load_snapshot(json.loads(wire)) == snap


# --- single-flight ----------------------------------------------------------------------


async def test_local_flights_share_one_run_per_key() -> None:
    flights = LocalFlights()
    gate, runs = asyncio.Event(), []

    async def work() -> str:
        runs.append(1)
        await gate.wait()
        return "done"

    waiters = [asyncio.create_task(flights.run("k", work)) for _ in range(5)]
    other = asyncio.create_task(flights.run("other", work))
    await asyncio.sleep(0)
    assert len(flights) == 2
    gate.set()
    assert await asyncio.gather(*waiters, other) == ["done"] * 6
    assert len(runs) == 2
    assert len(flights) == 0


async def test_local_flights_share_a_failure_and_then_forget_it() -> None:
    flights = LocalFlights()
    attempts = 0

    async def failing() -> str:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0)
        raise LookupError("nope")

    results = await asyncio.gather(
        *(flights.run("k", failing) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, LookupError) for r in results)
    assert attempts == 1
    with pytest.raises(LookupError):
        await flights.run("k", failing)
    assert attempts == 2
