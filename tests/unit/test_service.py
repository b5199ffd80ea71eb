"""CustomerLookup: cache, single-flight, 404 memory, stale-if-error, directory answers."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.lookup.directory import Directory
from bot.lookup.query import ChannelQuery, HelpQuery, IdQuery, InvalidQuery, NameQuery, SlugQuery
from bot.lookup.service import (
    CustomerLookup,
    Failed,
    Found,
    Matches,
    NeedsHelp,
    NotFound,
    Outcome,
    Unlinked,
)
from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import (
    PivotalAuthError,
    PivotalRateLimited,
    PivotalUnavailable,
)
from bot.pivotal.models import Customer
from bot.pivotal.ratelimit import RateGovernor
from tests.unit.customers import customer_body

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
TTL = 300.0
NOT_FOUND_TTL = 30.0
ACME = "cus_acme000000000000000042"


class Timer:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t)


def body(n: int, name: str = "", **fields: Any) -> dict[str, Any]:
    """Customer #`n` from the shared factory; #42 is Acme, with a cuid and slug of its own."""
    if n == 42:
        return customer_body(42, name or "Acme", **{"id": ACME, "slug": "acme", **fields})
    return customer_body(n, name, **{"slug": f"customer-{n}", **fields})


def customer(n: int, name: str = "", **fields: Any) -> Customer:
    return Customer.model_validate(body(n, name, **fields))


Failure = Callable[[], httpx.Response] | Exception


def status(code: int, kind: str, **headers: str) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(code, json={"error": {"type": kind}}, headers=headers)


SERVER_ERROR = status(500, "internal_error")
RATE_LIMITED = status(429, "rate_limit_error", **{"retry-after": "12"})
UNAUTHORIZED = status(401, "authentication_error")


class Upstream:
    """GET /customers/{ref} from a dict, optionally failing or held at a gate."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.failure: Failure | None = None
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    def put(self, n: int, name: str = "", **fields: Any) -> None:
        row = body(n, name, **fields)
        self.rows[str(n)] = self.rows[row["id"]] = row

    def delete(self, n: int) -> None:
        row = self.rows.pop(str(n))
        del self.rows[row["id"]]

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        ref = request.url.path.removeprefix("/api/v1/customers/")
        self.requests.append(ref)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if isinstance(self.failure, Exception):
            raise self.failure
        if self.failure is not None:
            return self.failure()
        row = self.rows.get(ref)
        if row is None:
            return httpx.Response(404, json={"error": {"type": "not_found", "code": "x"}})
        return httpx.Response(200, json=row)


@dataclass
class World:
    timer: Timer
    upstream: Upstream
    client: PivotalClient
    directory: Directory
    lookup: CustomerLookup

    def make_lookup(self, **options: Any) -> CustomerLookup:
        options = {"ttl": TTL, "not_found_ttl": NOT_FOUND_TTL, "directory_wait": 0.05,
                   "timer": self.timer, "now": self.timer.now, **options}  # fmt: skip
        return CustomerLookup(self.client, self.directory, **options)

    @property
    def calls(self) -> int:
        return len(self.upstream.requests)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    timer = Timer()
    upstream = Upstream()
    upstream.put(42)
    upstream.put(7, slack_channel_id="C7")

    async def no_sleep(seconds: float) -> None:
        pass

    governor = RateGovernor(clock=timer, wall=lambda: 1.7e9 + timer.t, sleep=no_sleep)
    client = PivotalClient(
        "https://pivotal.test/api/v1",
        SecretStr("pivotal_test_k"),
        transport=httpx.MockTransport(upstream),
        governor=governor,
        sleep=no_sleep,
        jitter=lambda: 0.5,
        clock=timer,
    )
    directory = Directory(client, refresh_seconds=600, timer=timer, now=timer.now)
    w = World(timer, upstream, client, directory, None)  # type: ignore[arg-type]
    w.lookup = w.make_lookup()
    yield w
    await client.aclose()


def found(outcome: Outcome | None, source: str) -> Found:
    assert isinstance(outcome, Found), outcome
    assert outcome.source == source
    return outcome


# --- cache ------------------------------------------------------------------------------


async def test_a_hit_needs_no_request(world: World) -> None:
    first = found(await world.lookup.resolve(IdQuery("42")), "pivotal")
    second = found(await world.lookup.resolve(IdQuery("42")), "cache")
    assert world.calls == 1
    assert second.snapshot == first.snapshot
    assert first.snapshot.customer.name == "Acme"
    assert (first.snapshot.fetched_at, first.snapshot.as_of) == (0.0, T0)
    assert not second.stale


@pytest.mark.parametrize(("first", "then"), [("42", ACME), (ACME, "42")])
async def test_cached_under_both_display_id_and_cuid(world: World, first: str, then: str) -> None:
    found(await world.lookup.resolve(IdQuery(first)), "pivotal")
    found(await world.lookup.resolve(IdQuery(then)), "cache")
    assert world.upstream.requests == [first]


async def test_entries_expire_after_the_ttl(world: World) -> None:
    await world.lookup.resolve(IdQuery("42"))
    world.timer.t = TTL - 0.01
    found(await world.lookup.resolve(IdQuery("42")), "cache")
    assert world.calls == 1
    world.timer.t = TTL
    world.upstream.put(42, "Acme Renamed")
    again = found(await world.lookup.resolve(IdQuery("42")), "pivotal")
    assert world.calls == 2
    assert again.snapshot.customer.name == "Acme Renamed"
    assert again.snapshot.as_of == T0 + timedelta(seconds=TTL)
    found(await world.lookup.resolve(IdQuery(ACME)), "cache")


async def test_concurrent_misses_share_one_request(world: World) -> None:
    world.upstream.gate = asyncio.Event()
    tasks = [asyncio.create_task(world.lookup.resolve(IdQuery("42"))) for _ in range(50)]
    await asyncio.wait_for(world.upstream.entered.wait(), 1)
    for _ in range(5):
        await asyncio.sleep(0)  # give every waiter its turn before the answer
    world.upstream.gate.set()
    outcomes = await asyncio.gather(*tasks)
    assert world.calls == 1
    snapshots = {id(found(o, "pivotal").snapshot) for o in outcomes}
    assert len(snapshots) == 1
    found(await world.lookup.resolve(IdQuery("42")), "cache")
    assert world.calls == 1


async def test_concurrent_misses_share_one_failure(world: World) -> None:
    world.upstream.gate = asyncio.Event()
    tasks = [asyncio.create_task(world.lookup.resolve(IdQuery("404"))) for _ in range(50)]
    await asyncio.wait_for(world.upstream.entered.wait(), 1)
    await asyncio.sleep(0)
    world.upstream.gate.set()
    assert await asyncio.gather(*tasks) == [NotFound("#404")] * 50
    assert world.calls == 1


async def test_a_cancelled_caller_does_not_cancel_the_shared_request(world: World) -> None:
    world.upstream.gate = asyncio.Event()
    impatient = asyncio.create_task(world.lookup.resolve(IdQuery("42")))
    await asyncio.wait_for(world.upstream.entered.wait(), 1)
    patient = asyncio.create_task(world.lookup.resolve(IdQuery("42")))
    await asyncio.sleep(0)
    impatient.cancel()
    world.upstream.gate.set()
    found(await patient, "pivotal")
    assert world.calls == 1


async def test_not_found_is_remembered_briefly(world: World) -> None:
    assert await world.lookup.resolve(IdQuery("404")) == NotFound("#404")
    world.timer.t = NOT_FOUND_TTL - 0.01
    assert await world.lookup.resolve(IdQuery("404")) == NotFound("#404")
    assert world.calls == 1
    world.timer.t = NOT_FOUND_TTL
    world.upstream.put(404)  # created meanwhile
    found(await world.lookup.resolve(IdQuery("404")), "pivotal")
    assert world.calls == 2


@pytest.mark.parametrize(
    ("ref", "what"), [("404", "#404"), ("cus_missing", "cus_missing"), ("../me", "../me")]
)
async def test_not_found_says_what_was_asked(world: World, ref: str, what: str) -> None:
    assert await world.lookup.resolve(IdQuery(ref)) == NotFound(what)


async def test_resolve_answers_with_an_outcome_when_nothing_can_be_shown(world: World) -> None:
    assert await world.lookup.resolve(IdQuery("404")) == NotFound("#404")
    world.upstream.failure = SERVER_ERROR
    assert await world.lookup.resolve(IdQuery("43")) == Failed("unavailable")


# --- stale-if-error ---------------------------------------------------------------------

OUTAGES: list[tuple[str, Failure]] = [
    ("500", SERVER_ERROR),
    ("503", status(503, "internal_error")),
    ("timeout", httpx.ReadTimeout("slow")),
    ("unreachable", httpx.ConnectError("refused")),
    ("429", RATE_LIMITED),
    ("not json", lambda: httpx.Response(200, content=b"<html>maintenance</html>")),
]


@pytest.mark.parametrize(("name", "failure"), OUTAGES, ids=[o[0] for o in OUTAGES])
async def test_outages_serve_the_last_good_copy_as_stale(
    world: World, name: str, failure: Failure
) -> None:
    good = found(await world.lookup.resolve(IdQuery("42")), "pivotal")
    world.timer.t = TTL + 60
    world.upstream.failure = failure
    for ref in ("42", ACME):
        stale = found(await world.lookup.resolve(IdQuery(ref)), "stale")
        assert stale.stale
        assert stale.snapshot.customer == good.snapshot.customer
        assert stale.snapshot.as_of == T0  # when Pivotal last described it, for "as of …"
    assert world.calls >= 2


async def test_after_an_outage_fresh_data_replaces_the_stale_copy(world: World) -> None:
    await world.lookup.resolve(IdQuery("42"))
    world.timer.t = TTL + 1
    world.upstream.failure = SERVER_ERROR
    found(await world.lookup.resolve(IdQuery("42")), "stale")
    world.upstream.failure = None
    world.upstream.put(42, "Acme 2")
    fresh = found(await world.lookup.resolve(IdQuery("42")), "pivotal")
    assert fresh.snapshot.customer.name == "Acme 2"
    assert fresh.snapshot.as_of == T0 + timedelta(seconds=TTL + 1)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (SERVER_ERROR, Failed("unavailable")),
        (httpx.ConnectTimeout("slow"), Failed("unavailable")),
        (RATE_LIMITED, Failed("rate_limited", 12.0)),
        (UNAUTHORIZED, Failed("auth")),
        (status(403, "permission_error"), Failed("auth")),
    ],
)
async def test_failures_without_a_copy(world: World, failure: Failure, expected: Failed) -> None:
    world.upstream.failure = failure
    assert await world.lookup.resolve(IdQuery("42")) == expected


async def test_while_rate_limited_no_request_is_made(world: World) -> None:
    world.upstream.failure = RATE_LIMITED
    await world.lookup.resolve(IdQuery("42"))
    world.timer.t = 5
    outcome = await world.lookup.resolve(IdQuery("43"))
    assert outcome == Failed("rate_limited", pytest.approx(7.0))  # type: ignore[arg-type]
    assert world.calls == 1


@pytest.mark.parametrize("failure", [UNAUTHORIZED, status(403, "permission_error")])
async def test_an_auth_error_is_not_masked_by_a_stale_copy(world: World, failure: Failure) -> None:
    await world.lookup.resolve(IdQuery("42"))
    world.timer.t = TTL + 1
    world.upstream.failure = failure
    assert await world.lookup.resolve(IdQuery("42")) == Failed("auth")


async def test_a_deleted_customer_is_forgotten(world: World) -> None:
    await world.lookup.resolve(IdQuery("42"))
    world.timer.t = TTL + 1
    world.upstream.delete(42)
    assert await world.lookup.resolve(IdQuery("42")) == NotFound("#42")
    world.upstream.failure = SERVER_ERROR
    assert await world.lookup.resolve(IdQuery("42")) == NotFound("#42")  # remembered 404
    world.timer.t += NOT_FOUND_TTL
    assert await world.lookup.resolve(IdQuery("42")) == Failed("unavailable")
    assert await world.lookup.resolve(IdQuery(ACME)) == Failed("unavailable")


async def test_a_deleted_customer_is_not_served_from_an_old_directory_copy(world: World) -> None:
    world.directory.load([customer(42)])
    world.timer.t = TTL + 1
    world.upstream.delete(42)
    assert await world.lookup.resolve(IdQuery("42")) == NotFound("#42")
    world.timer.t += NOT_FOUND_TTL
    world.upstream.failure = SERVER_ERROR
    assert await world.lookup.resolve(IdQuery("42")) == Failed("unavailable")
    assert await world.lookup.resolve(IdQuery(ACME)) == Failed("unavailable")


async def test_a_recreated_customer_is_found_again(world: World) -> None:
    await world.lookup.resolve(IdQuery("42"))
    world.timer.t = TTL + 1
    world.upstream.delete(42)
    assert await world.lookup.resolve(IdQuery("42")) == NotFound("#42")
    world.timer.t += NOT_FOUND_TTL
    world.upstream.put(42, "Acme Again")
    assert found(await world.lookup.resolve(IdQuery("42")), "pivotal").snapshot.customer.name == (
        "Acme Again"
    )
    world.timer.t += TTL
    world.upstream.failure = SERVER_ERROR
    found(await world.lookup.resolve(IdQuery(ACME)), "stale")


# --- the directory's copies -------------------------------------------------------------


async def test_young_directory_copies_answer_without_a_request(world: World) -> None:
    world.directory.load([customer(42)])
    for ref in ("42", ACME):
        found(await world.lookup.resolve(IdQuery(ref)), "directory")
    assert world.calls == 0
    world.timer.t = TTL
    found(await world.lookup.resolve(IdQuery("42")), "pivotal")
    found(await world.lookup.resolve(IdQuery(ACME)), "cache")
    assert world.calls == 1


async def test_the_newest_copy_wins(world: World) -> None:
    await world.lookup.resolve(IdQuery("42"))
    world.timer.t = 100
    world.directory.load([customer(42, "Acme Newer")])
    got = found(await world.lookup.resolve(IdQuery("42")), "directory")
    assert got.snapshot.customer.name == "Acme Newer"
    world.timer.t = 100 + TTL + 1
    world.upstream.failure = SERVER_ERROR
    stale = found(await world.lookup.resolve(IdQuery("42")), "stale")
    assert stale.snapshot.customer.name == "Acme Newer"


# --- peek: answers that need no I/O, or None --------------------------------------------


async def test_peek_never_makes_a_request(world: World) -> None:
    lookup = world.lookup
    assert lookup.peek(IdQuery("42")) is None
    assert lookup.peek(NameQuery("acme", id_hint=None)) is None  # not ready
    assert lookup.peek(ChannelQuery("C7")) is None
    assert world.calls == 0
    await lookup.resolve(IdQuery("42"))
    found(lookup.peek(IdQuery("42")), "cache")
    found(lookup.peek(IdQuery(ACME)), "cache")
    world.timer.t = TTL
    world.upstream.failure = SERVER_ERROR
    assert lookup.peek(IdQuery("42")) is None  # stale needs a try first
    assert world.calls == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (HelpQuery(), NeedsHelp()),
        (InvalidQuery("too long"), NeedsHelp("too long")),
        (ChannelQuery("C9"), Unlinked("C9")),
        (SlugQuery("nope"), NotFound("nope")),
        (NameQuery("zzz"), NotFound("zzz")),
    ],
)
async def test_peek_answers_what_needs_no_io(world: World, query: Any, expected: Outcome) -> None:
    world.directory.load([customer(42), customer(7, slack_channel_id="C7")])
    assert world.lookup.peek(query) == expected
    assert world.calls == 0


async def test_peek_with_an_old_directory_copy_is_none(world: World) -> None:
    world.directory.load([customer(42), customer(7, slack_channel_id="C7")])
    world.timer.t = TTL
    for query in (ChannelQuery("C7"), SlugQuery("acme"), NameQuery("acme"), IdQuery("7")):
        assert world.lookup.peek(query) is None
    assert world.lookup.peek(NameQuery("cus_x1", id_hint="cus_x1")) is None
    assert world.calls == 0


async def test_peek_never_waits_for_the_directory(world: World) -> None:
    lookup = world.make_lookup(directory_wait=30)
    assert lookup.peek(ChannelQuery("C7")) is None
    assert not inspect.iscoroutinefunction(CustomerLookup.peek)  # sync: it cannot await I/O


async def test_peek_agrees_with_resolve_on_fresh_answers(world: World) -> None:
    world.directory.load([customer(42), customer(7, slack_channel_id="C7")])
    for query in (ChannelQuery("C7"), SlugQuery("acme"), NameQuery("acme"), IdQuery(ACME)):
        assert world.lookup.peek(query) == await world.lookup.resolve(query)
    assert world.calls == 0


# --- channel, slug and name lookups -----------------------------------------------------


async def test_channel_with_one_customer(world: World) -> None:
    world.directory.load([customer(42, slack_channel_id="C1"), customer(7)])
    got = found(await world.lookup.resolve(ChannelQuery("C1")), "directory")
    assert got.snapshot.customer.display_id == 42
    assert world.calls == 0


async def test_channel_with_an_old_copy_fetches_it_fresh(world: World) -> None:
    world.directory.load([customer(7, slack_channel_id="C7")])
    world.timer.t = TTL
    found(await world.lookup.resolve(ChannelQuery("C7")), "pivotal")
    assert world.upstream.requests == ["cus_0007"]


async def test_channel_with_several_customers(world: World) -> None:
    world.directory.load([customer(42, slack_channel_id="C1"), customer(7, slack_channel_id="C1")])
    outcome = await world.lookup.resolve(ChannelQuery("C1"))
    assert isinstance(outcome, Matches)
    assert outcome.text == "this channel"  # shown as "2 customers match *this channel*"
    assert sorted(s.customer.display_id for s in outcome.snapshots) == [7, 42]


async def test_channel_without_a_customer(world: World) -> None:
    world.directory.load([customer(42, slack_channel_id="C1")])
    assert await world.lookup.resolve(ChannelQuery("C2")) == Unlinked("C2")


async def test_channel_lookup_waits_for_the_first_walk(world: World) -> None:
    lookup = world.make_lookup(directory_wait=5)
    pending = asyncio.create_task(lookup.resolve(ChannelQuery("C7")))
    await asyncio.sleep(0.01)
    assert not pending.done()
    world.directory.load([customer(7, slack_channel_id="C7")])
    got = found(await asyncio.wait_for(pending, 1), "directory")
    assert got.snapshot.customer.display_id == 7


@pytest.mark.parametrize(
    "query", [ChannelQuery("C7"), SlugQuery("acme"), NameQuery("acme")], ids=type
)
async def test_directory_not_ready_within_the_wait_is_loading(world: World, query: Any) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await world.lookup.resolve(query) == Failed("loading")
    assert 0.04 <= loop.time() - started < 1  # waited directory_wait (0.05 s), no longer
    assert world.calls == 0


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PivotalAuthError("revoked", status=401), Failed("auth")),
        (PivotalRateLimited("slow down", retry_after=9), Failed("rate_limited", 9)),
        (PivotalUnavailable("down", status=503), Failed("unavailable")),
    ],
)
async def test_a_failed_first_walk_is_reported_at_once(
    world: World, error: Exception, expected: Failed
) -> None:
    world.directory.last_error = error  # type: ignore[assignment]
    lookup = world.make_lookup(directory_wait=30)
    assert await asyncio.wait_for(lookup.resolve(ChannelQuery("C7")), 1) == expected


async def test_a_failed_later_walk_still_answers_from_the_index(world: World) -> None:
    world.directory.load([customer(7, slack_channel_id="C7")])
    world.directory.last_error = PivotalUnavailable("down")
    found(await world.lookup.resolve(ChannelQuery("C7")), "directory")


async def test_slug_lookup(world: World) -> None:
    world.directory.load([customer(42), customer(7)])
    got = found(await world.lookup.resolve(SlugQuery("ACME")), "directory")
    assert got.snapshot.customer.id == ACME
    assert await world.lookup.resolve(SlugQuery("globex")) == NotFound("globex")


async def test_name_lookup(world: World) -> None:
    world.directory.load([customer(42), customer(43, "Acme Labs"), customer(7)])
    found(await world.lookup.resolve(NameQuery("acme")), "directory")  # exact hides "Acme Labs"
    outcome = await world.lookup.resolve(NameQuery("acm"))
    assert isinstance(outcome, Matches)
    assert [s.customer.display_id for s in outcome.snapshots] == [42, 43]
    assert outcome.total == 2
    assert await world.lookup.resolve(NameQuery("globex")) == NotFound("globex")
    assert world.calls == 0


async def test_name_that_looks_like_an_id_falls_back_to_pivotal(world: World) -> None:
    world.directory.load([customer(7)])
    got = found(await world.lookup.resolve(NameQuery(ACME, id_hint=ACME)), "pivotal")
    assert got.snapshot.customer.display_id == 42
    assert world.upstream.requests == [ACME]
    outcome = await world.lookup.resolve(NameQuery("cus_x9", id_hint="cus_x9"))
    assert outcome == NotFound("cus_x9")


async def test_matches_carry_the_true_total(world: World) -> None:
    world.directory.load([customer(n, f"Shop {n}") for n in range(100, 139)])
    outcome = await world.lookup.resolve(NameQuery("shop"))
    assert isinstance(outcome, Matches)
    assert (len(outcome.snapshots), outcome.total) == (10, 39)


async def test_a_typo_still_finds_the_customer(world: World) -> None:
    world.directory.load([customer(42), customer(7)])
    got = found(await world.lookup.resolve(NameQuery("acmee")), "directory")
    assert got.snapshot.customer.display_id == 42
