"""Applying webhook events: newer wins, partial merges, refetch decisions, the feed's rule."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.lookup.changed import CustomerChanged, Subscribers
from bot.lookup.changes import Changes
from bot.lookup.directory import Directory, Snapshot
from bot.lookup.feed import FeedLiveness
from bot.lookup.refetch import Refetcher
from bot.lookup.signals import SignalBook
from bot.pivotal.client import PivotalClient
from bot.pivotal.models import Customer, Signals
from bot.pivotal.webhooks import CustomerEvent, parse_event
from bot.state.memory import MemoryEvents

T0 = datetime(2026, 5, 26, 12, 0, tzinfo=UTC)


class Timer:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def row(n: int, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f"cl{n:020d}", "display_id": n, "name": f"Customer {n}", "status": "active",
        "plan": "starter", "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2026-05-26T11:00:00Z",
    }  # fmt: skip
    out.update(fields)
    return out


def event(kind: str, obj: dict[str, Any], at: datetime = T0, **data: Any) -> CustomerEvent:
    body = {"id": f"evt_{at.timestamp()}", "type": kind, "created_at": at.isoformat(),
            "data": {"object": obj, **data}}  # fmt: skip
    parsed = parse_event(json.dumps(body).encode())
    assert isinstance(parsed, CustomerEvent)
    return parsed


class Copies:
    def __init__(self) -> None:
        self.rows: dict[int, Snapshot] = {}

    def best(self, display_id: int) -> Snapshot | None:
        return self.rows.get(display_id)

    async def put(self, customer: Customer) -> None:
        self.rows[customer.display_id] = Snapshot(customer, 1000.0, T0)


class Heard:
    """Records what each kind of subscriber was told."""

    def __init__(self) -> None:
        self.every: list[CustomerChanged] = []
        self.once: list[CustomerChanged] = []

    def subscribers(self) -> Subscribers:
        async def every(change: CustomerChanged) -> None:
            self.every.append(change)

        async def once(change: CustomerChanged) -> None:
            self.once.append(change)

        return Subscribers(every_replica=(every,), once=(once,))

    @property
    def ids(self) -> list[int]:
        return [c.display_id for c in self.every]


@pytest.fixture
def copies() -> Copies:
    store = Copies()
    store.rows[42] = Snapshot(Customer.model_validate(row(42)), 0.0, T0)
    return store


@pytest.fixture
def changes(copies: Copies) -> Changes:
    return Changes(copies, SignalBook())


async def test_full_object_replaces_and_tells_listeners(copies: Copies) -> None:
    heard = Heard()
    changes = Changes(copies, SignalBook(), subscribers=heard.subscribers())
    obj = row(42, plan="growth", updated_at="2026-05-26T11:30:00Z")
    applied = await changes.apply(event("customer.updated", obj))
    assert applied.result == "replaced" and not applied.refetch
    assert copies.rows[42].customer.plan == "growth" and copies.rows[42].fetched_at == 1000.0
    assert heard.ids == [42]
    change = heard.every[0]
    assert change.cause == "webhook" and change.origin == "local" and change.event_id
    assert change.before is not None and change.before.plan == "starter"
    assert change.after is not None and change.after.plan == "growth"
    assert {"plan", "updated_at"} <= change.fields and "name" not in change.fields
    assert heard.once == heard.every  # applied here: the once-per-change subscribers hear it


async def test_older_full_object_is_dropped(changes: Changes, copies: Copies) -> None:
    obj = row(42, plan="old", updated_at="2026-05-26T10:00:00Z")
    applied = await changes.apply(event("customer.updated", obj))
    assert applied.result == "older" and copies.rows[42].customer.plan == "starter"


async def test_older_partial_by_event_time_is_dropped(changes: Changes, copies: Copies) -> None:
    await changes.apply(event("customer.updated", {"display_id": 42, "name": "New"}, T0))
    later = await changes.apply(event("customer.updated", {"display_id": 42, "name": "Old"},
                                T0 - timedelta(seconds=1)))  # fmt: skip
    assert later.result == "older" and copies.rows[42].customer.name == "New"


@pytest.mark.parametrize(
    ("kind", "obj", "previous", "refetch"),
    [
        ("customer.updated", {"display_id": 42, "name": "N"}, None, True),
        ("customer.updated", {"display_id": 42, "name": "N"}, {"name": "O"}, False),
        ("customer.updated", {"display_id": 42, "health_score": 4}, {"health_score": 9}, False),
        ("customer.updated", {"display_id": 42, "health_score": 4}, {"plan": "x"}, True),
        ("customer.created", {"display_id": 42}, None, True),
        ("customer.health_score_dropped", {"display_id": 42, "health_score": 4}, None, False),
        ("customer.archived", {"display_id": 42}, None, False),
    ],
)
async def test_refetch_only_when_the_event_may_hide_changes(
    changes: Changes, kind: str, obj: dict[str, Any], previous: Any, refetch: bool
) -> None:
    applied = await changes.apply(event(kind, obj, previous_attributes=previous))
    assert applied.result == "merged" and applied.refetch is refetch


@pytest.mark.parametrize(
    ("kind", "obj", "status"),
    [
        ("customer.archived", {"display_id": 42}, "archived"),
        ("customer.churned", {"display_id": 42}, "churned"),
        ("customer.at_risk", {"display_id": 42}, "at_risk"),
        ("customer.updated", {"display_id": 42, "at_risk": True}, "at_risk"),
        ("customer.updated", {"display_id": 42, "churned": True, "at_risk": True}, "churned"),
        ("customer.updated", {"display_id": 42, "at_risk": False}, "active"),
    ],
)
async def test_status_follows_the_event(
    changes: Changes, copies: Copies, kind: str, obj: dict[str, Any], status: str
) -> None:
    await changes.apply(event(kind, obj))
    assert copies.rows[42].customer.status == status


async def test_no_longer_at_risk_asks_pivotal_which_status_it_is(
    changes: Changes, copies: Copies
) -> None:
    await changes.apply(event("customer.at_risk", {"display_id": 42}, T0))
    obj, at = {"display_id": 42, "at_risk": False}, T0 + timedelta(seconds=1)
    previous = {"at_risk": True}
    back = await changes.apply(event("customer.updated", obj, at, previous_attributes=previous))
    assert back.refetch and copies.rows[42].customer.status == "at_risk"


async def test_unknown_customer_keeps_signals_only(changes: Changes, copies: Copies) -> None:
    applied = await changes.apply(event("customer.updated", {"display_id": 7, "health_score": 50}))
    assert applied.result == "merged" and 7 not in copies.rows
    assert changes.signals.get(7) == Signals(health_score=50)


async def test_refreshed_copy_loses_to_a_newer_webhook(changes: Changes, copies: Copies) -> None:
    await changes.apply(
        event("customer.updated", row(42, plan="hook", updated_at="2026-05-26T11:30:00Z"))
    )
    stale = Customer.model_validate(row(42, plan="got", updated_at="2026-05-26T11:10:00Z"))
    assert await changes.refreshed(stale) is False
    assert copies.rows[42].customer.plan == "hook"


def test_signals_merge_and_a_new_score_drops_the_old_previous() -> None:
    book = SignalBook()
    book.record(1, T0, Signals(health_score=38, previous_health_score=72, owner_email="a@b.c"))
    book.record(1, T0, Signals(health_score=40))
    assert book.get(1) == Signals(health_score=40, owner_email="a@b.c")
    assert book.record(1, T0, Signals(owner_email="a@b.c")) is False


def test_feed_liveness_rule() -> None:
    timer = Timer()
    feed = FeedLiveness(quiet_seconds=900, timer=timer)
    assert not feed.live and not feed.covers(timer.t)
    copy_before = timer.t - 1
    feed.heard()
    assert feed.live and feed.covers(timer.t) and not feed.covers(copy_before)
    timer.t += 899
    feed.heard()
    timer.t += 900
    assert feed.live and feed.covers(1000.0)
    timer.t += 1
    assert not feed.live and not feed.covers(1000.0)
    feed.heard()  # a new stretch: only copies from now on are covered
    assert feed.live and not feed.covers(1000.0) and feed.covers(timer.t)


async def test_seen_events_are_bounded_and_expire() -> None:
    timer = Timer()
    seen = MemoryEvents(max_entries=2, ttl=60, timer=timer)
    assert await seen.first_time("a") and not await seen.first_time("a")
    timer.t += 61
    assert await seen.first_time("a")
    assert await seen.first_time("b") and await seen.first_time("c")
    assert await seen.first_time("a")  # bounded: the oldest went when "c" came


def test_directory_upsert_replaces_in_place_and_keeps_newer() -> None:
    directory = Directory(PivotalClient("http://127.0.0.1:1", SecretStr("pivotal_x")),
                          refresh_seconds=600)  # fmt: skip
    directory.load([Customer.model_validate(row(n, name=f"Name {n}")) for n in (1, 2)])
    fields = {"slack_channel_id": "C0NEW", "slug": "renamed", "updated_at": "2026-05-26T11:30:00Z"}
    moved = Customer.model_validate(row(1, name="Renamed", **fields))
    directory.upsert(Snapshot(moved, 5.0, T0))
    assert [s.customer.name for s in directory.search("renamed").hits] == ["Renamed"]
    assert directory.exact("name 1") == () and len(directory) == 2
    assert directory.by_channel("C0NEW")[0].customer.name == "Renamed"
    assert directory.by_slug("renamed") is not None
    older = Customer.model_validate(row(1, name="Older"))
    directory.upsert(Snapshot(older, 6.0, T0))
    assert directory.get("1") is not None and directory.get("1").customer.name == "Renamed"  # type: ignore[union-attr]
    directory.upsert(Snapshot(Customer.model_validate(row(3)), 7.0, T0))
    assert len(directory) == 3 and directory.get(row(3)["id"]) is not None


class Upstream:
    def __init__(self) -> None:
        self.gets: list[str] = []
        self.lists = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/customers"):
            self.lists += 1
            data = [row(n, plan="walked") for n in range(1, 4)]
            return httpx.Response(200, json={"data": data, "has_more": False})
        ref = request.url.path.rsplit("/", 1)[1]
        self.gets.append(ref)
        return httpx.Response(200, json=row(int(ref), plan="fetched"))


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, PivotalClient]]:
    up = Upstream()
    client = PivotalClient("http://pivotal.test/api/v1", SecretStr("pivotal_x"),
                           transport=httpx.MockTransport(up))  # fmt: skip
    yield up, client
    await client.aclose()


async def test_refetches_coalesce_per_customer(
    upstream: tuple[Upstream, PivotalClient], copies: Copies
) -> None:
    up, client = upstream
    directory = Directory(client, refresh_seconds=600)
    directory.load([Customer.model_validate(row(n)) for n in range(1, 400)])
    refetcher = Refetcher(client, directory, Changes(copies, SignalBook()))
    for _ in range(5):
        refetcher.mark(42)
    refetcher.mark(7)
    assert len(refetcher) == 2
    await refetcher.step()
    await refetcher.step()
    assert up.gets == ["42", "7"] and len(refetcher) == 0
    assert copies.rows[42].customer.plan == "fetched"


async def test_many_waiting_refetches_become_one_walk(
    upstream: tuple[Upstream, PivotalClient], copies: Copies
) -> None:
    up, client = upstream
    directory = Directory(client, refresh_seconds=600)
    directory.load([Customer.model_validate(row(n)) for n in range(1, 4)])
    heard = Heard()
    changes = Changes(copies, SignalBook(), subscribers=heard.subscribers())
    refetcher = Refetcher(client, directory, changes)
    for n in range(1, 4):
        refetcher.mark(n)
    await refetcher.step()
    assert up.gets == [] and up.lists == 1 and refetcher.walks == 1
    assert directory.get("2") is not None and directory.get("2").customer.plan == "walked"  # type: ignore[union-attr]
    assert sorted(heard.ids) == [1, 2, 3]
    assert {c.cause for c in heard.every} == {"walk"}
