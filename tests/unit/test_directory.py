"""Directory: indexes, search ranking, page walks over MockTransport, the refresh loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.lookup.directory import MAX_MATCHES, Directory
from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import PivotalAuthError, PivotalError, PivotalUnavailable
from tests.unit.customers import customer_body, make_customer

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


row = customer_body
cust = make_customer


class Timer:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t)


class Pages:
    """A paged GET /customers: cursor → (rows, next cursor); other cursors are a 400."""

    def __init__(self, pages: dict[str | None, tuple[list[Any], str | None]]):
        self.pages = pages
        self.cursors: list[str | None] = []
        self.fail_with: list[int] = []  # statuses to answer with first, one per request

    def __call__(self, request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        self.cursors.append(cursor)
        if self.fail_with:
            return httpx.Response(self.fail_with.pop(0))
        if cursor not in self.pages:
            return httpx.Response(400, json={"error": {"type": "invalid_request_error"}})
        data, after = self.pages[cursor]
        body = {"object": "list", "data": data, "has_more": after is not None, "next_cursor": after}
        return httpx.Response(200, json=body)


MakeClient = Callable[[Pages], PivotalClient]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    clients: list[PivotalClient] = []

    async def no_sleep(seconds: float) -> None:
        pass

    def build(pages: Pages) -> PivotalClient:
        client = PivotalClient(
            "https://pivotal.test/api/v1",
            SecretStr("pivotal_test_k"),
            transport=httpx.MockTransport(pages),
            sleep=no_sleep,
            max_attempts=1,
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
def timer() -> Timer:
    return Timer()


@pytest.fixture
def offline(make_client: MakeClient, timer: Timer) -> Directory:
    """A directory whose client must never be called (any request is a 400)."""
    return Directory(make_client(Pages({})), refresh_seconds=600, timer=timer, now=timer.now)


# --- indexes ----------------------------------------------------------------------------


def test_not_ready_and_empty_before_anything_is_loaded(offline: Directory) -> None:
    assert not offline.ready
    assert len(offline) == 0
    assert offline.get("1") is None
    assert offline.search("customer").hits == ()


def test_index_by_display_id_and_cuid(offline: Directory, timer: Timer) -> None:
    offline.load([cust(1), cust(2, "Globex")])
    assert offline.ready
    assert len(offline) == 2
    for ref in ("2", "cus_0002"):
        snap = offline.get(ref)
        assert snap is not None
        assert snap.customer.name == "Globex"
        assert (snap.fetched_at, snap.as_of) == (timer.t, timer.now())
    assert offline.get("3") is None
    assert offline.get("cus_0003") is None
    assert offline.get("02") is None  # display ids are stored canonical


def test_several_customers_on_one_channel(offline: Directory) -> None:
    offline.load([cust(1, slack_channel_id="C1"), cust(2, slack_channel_id="C2"),
                  cust(3, slack_channel_id="C1"), cust(4)])  # fmt: skip
    assert sorted(s.customer.display_id for s in offline.by_channel("C1")) == [1, 3]
    assert [s.customer.display_id for s in offline.by_channel("C2")] == [2]
    assert offline.by_channel("C9") == []
    assert offline.by_channel("") == []


def test_by_channel_returns_a_copy(offline: Directory) -> None:
    offline.load([cust(1, slack_channel_id="C1")])
    offline.by_channel("C1").clear()
    assert len(offline.by_channel("C1")) == 1


@pytest.mark.parametrize("slug", ["acme-co", "ACME-CO", "Acme-Co"])
def test_slug_is_case_insensitive(offline: Directory, slug: str) -> None:
    offline.load([cust(1, "Acme", slug="Acme-CO"), cust(2, "Other", slug="other")])
    snap = offline.by_slug(slug)
    assert snap is not None and snap.customer.display_id == 1
    assert offline.by_slug("acme") is None


def test_a_row_seen_twice_is_indexed_once(offline: Directory) -> None:
    offline.load([cust(1, "Acme", slack_channel_id="C1"), cust(1, "Acme", slack_channel_id="C1")])
    assert len(offline) == 1
    assert len(offline.by_channel("C1")) == 1
    assert offline.search("acme").total == 1


def test_load_replaces_the_index(offline: Directory) -> None:
    offline.load([cust(1, slug="one", slack_channel_id="C1")])
    offline.load([cust(2)])
    assert offline.get("1") is None
    assert offline.by_slug("one") is None
    assert offline.by_channel("C1") == []


async def test_wait_ready(offline: Directory) -> None:
    assert await offline.wait_ready(0.01) is False
    offline.load([])
    assert await offline.wait_ready(0.01) is True


# --- search -----------------------------------------------------------------------------

SEARCHABLE = [
    cust(1, "Acme", slug="acme", domain="acme.com"),
    cust(2, "Acme Widgets", slug="acme-widgets", domain="widgets.io"),
    cust(3, "Old Acme Holdings", slug="old-acme", status="churned"),
    cust(4, "Pacmeal", slug="pacmeal", domain="pacmeal.example"),
    cust(5, "Acme Archive", slug="archive-1", status="archived"),
    cust(6, "Globex, Inc.", slug="globex", domain="globex.com"),
    cust(7, "Initech", slug="initech", domain="initech.co.uk", status="hibernating"),
    cust(8, "Zeta Acme", slug="zeta"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # exact name, slug or domain: alone, hiding looser matches
        ("acme", [1]),
        ("ACME", [1]),
        ("  Acme  ", [1]),
        ("acme.com", [1]),
        ("ACME.COM", [1]),
        ("acme-widgets", [2]),
        ("archive-1", [5]),
        ("globex inc", [6]),
        ("Globex, Inc.", [6]),
        ("globex.com", [6]),
        ("initech.co.uk", [7]),
        # word prefixes, active before archived/churned, then by name; then fuzzy
        ("acm", [1, 2, 8, 5, 3, 4]),
        ("acme w", [2]),
        ("widg", [2]),
        ("hold", [3]),
        ("glob", [6]),
        # domain labels count as word starts
        ("co.uk", [7]),
        ("pacmeal.ex", [4]),
        # fuzzy: fragments inside words and typos, the closest first
        ("cme", [1, 2, 8, 4, 5, 3]),
        ("lobe", [6]),
        ("ech", [7]),
        ("acmee", [1, 2, 8, 5, 3]),
        ("globx", [6]),
        ("widgets acme", [2]),
        # nothing
        ("nomatch", []),
        ("", []),
        ("   ", []),
        ("...", []),
    ],
)
def test_search_ranking(offline: Directory, text: str, expected: list[int]) -> None:
    offline.load(SEARCHABLE)
    assert [s.customer.display_id for s in offline.search(text).hits] == expected


def test_exact_match_on_an_archived_customer_still_wins(offline: Directory) -> None:
    offline.load([cust(1, "Acme", status="archived"), cust(2, "Acme Labs")])
    assert [s.customer.display_id for s in offline.search("acme").hits] == [1]


def test_search_is_capped(offline: Directory) -> None:
    offline.load([cust(n, f"Shop {n:02d}") for n in range(1, 30)])
    found = offline.search("shop")
    assert len(found.hits) == MAX_MATCHES
    assert found.total == 29
    assert [s.customer.name for s in found.hits] == [f"Shop {n:02d}" for n in range(1, 11)]
    assert len(offline.search("shop", limit=3).hits) == 3


# --- walk -------------------------------------------------------------------------------


def three_pages() -> Pages:
    return Pages(
        {
            None: ([row(9, "Nine", slack_channel_id="C9"), row(8, "Eight")], "cur_b"),
            "cur_b": ([row(7, "Seven", slug="seven"), {"id": "broken"}, row(6)], "cur_c"),
            "cur_c": ([row(5, "Five", slack_channel_id="C9"), row(8, "Eight")], None),
        }
    )


async def test_walk_reads_every_page_and_indexes_them(
    make_client: MakeClient, timer: Timer
) -> None:
    pages = three_pages()
    directory = Directory(make_client(pages), refresh_seconds=600, timer=timer, now=timer.now)
    stats = await directory.walk()
    assert pages.cursors == [None, "cur_b", "cur_c"]
    assert (stats.pages, stats.customers, stats.skipped) == (3, 5, 1)
    assert directory.last_walk == stats
    assert directory.ready
    assert len(directory) == 5
    assert sorted(s.customer.display_id for s in directory.by_channel("C9")) == [5, 9]
    seven = directory.by_slug("SEVEN")
    assert seven is not None and directory.get("cus_0007") == seven
    assert seven.fetched_at == timer.t and seven.as_of == timer.now()


async def test_a_failed_walk_keeps_the_last_index(make_client: MakeClient, timer: Timer) -> None:
    pages = three_pages()
    directory = Directory(make_client(pages), refresh_seconds=600, timer=timer, now=timer.now)
    directory.load([cust(1, "Old", slack_channel_id="C1")])
    del pages.pages["cur_c"]  # the last page is refused
    with pytest.raises(PivotalError):
        await directory.walk()
    assert directory.ready
    assert directory.get("1") is not None
    assert directory.get("9") is None  # nothing from the half walk leaks in
    assert len(directory) == 1


async def test_a_failed_first_walk_leaves_it_not_ready(make_client: MakeClient) -> None:
    pages = three_pages()
    pages.fail_with = [503]
    directory = Directory(make_client(pages), refresh_seconds=600)
    with pytest.raises(PivotalUnavailable):
        await directory.walk()
    assert not directory.ready
    assert directory.last_walk is None


# --- run --------------------------------------------------------------------------------


class StopLoop:
    """A fake sleep that records each delay and what run() knew, then cancels after `n`."""

    def __init__(self, directory_ref: list[Directory], n: int):
        self.directory_ref = directory_ref
        self.n = n
        self.delays: list[float] = []
        self.errors: list[type[PivotalError] | None] = []
        self.sizes: list[int] = []

    async def __call__(self, seconds: float) -> None:
        directory = self.directory_ref[0]
        self.delays.append(seconds)
        error = directory.last_error
        self.errors.append(type(error) if error is not None else None)
        self.sizes.append(len(directory))
        if len(self.delays) >= self.n:
            raise asyncio.CancelledError


async def run_until_stopped(
    make_client: MakeClient, pages: Pages, n: int, refresh: float = 600
) -> tuple[Directory, StopLoop]:
    holder: list[Directory] = []
    stop = StopLoop(holder, n)
    directory = Directory(make_client(pages), refresh_seconds=refresh, sleep=stop)
    holder.append(directory)
    with pytest.raises(asyncio.CancelledError):
        await directory.run()
    return directory, stop


async def test_run_backs_off_records_the_error_and_clears_it(make_client: MakeClient) -> None:
    pages = three_pages()
    # walk 1 and 2 fail on their first page, walk 3 succeeds, walk 4 fails again
    pages.fail_with = [401, 503]  # the first two walks fail, the third succeeds
    directory, stop = await run_until_stopped(make_client, pages, n=3)
    assert stop.errors == [PivotalAuthError, PivotalUnavailable, None]
    assert stop.delays[0] < stop.delays[1] < 600  # backing off, below the refresh interval
    assert stop.delays[2] == 600  # healthy again: the normal interval
    assert stop.sizes == [0, 0, 5]
    assert directory.last_error is None
    assert directory.ready


async def test_run_failure_after_success_keeps_the_index_and_restarts_backoff(
    make_client: MakeClient,
) -> None:
    pages = three_pages()
    pages.fail_with = [503, 503]
    holder: list[Directory] = []
    stop = StopLoop(holder, n=5)

    async def sleep(seconds: float) -> None:
        await stop(seconds)
        if len(stop.delays) == 3:  # after the first good walk, Pivotal goes down
            pages.fail_with = [503, 503]

    directory = Directory(make_client(pages), refresh_seconds=600, sleep=sleep)
    holder.append(directory)
    with pytest.raises(asyncio.CancelledError):
        await directory.run()
    assert stop.errors == [PivotalUnavailable, PivotalUnavailable, None,
                           PivotalUnavailable, PivotalUnavailable]  # fmt: skip
    assert stop.delays[3] == stop.delays[0]  # the backoff starts over
    assert stop.delays[3] < stop.delays[4]
    assert stop.sizes == [0, 0, 5, 5, 5]
    assert directory.ready


async def test_run_backoff_never_exceeds_the_refresh_interval(make_client: MakeClient) -> None:
    pages = three_pages()
    pages.fail_with = [503] * 10
    _, stop = await run_until_stopped(make_client, pages, n=8, refresh=15)
    assert all(0 < d <= 15 for d in stop.delays)
    assert stop.delays[-1] == 15


async def test_run_can_be_cancelled_while_waiting(make_client: MakeClient) -> None:
    walked = asyncio.Event()

    async def sleep(seconds: float) -> None:
        walked.set()
        await asyncio.Event().wait()  # forever, until cancelled

    directory = Directory(make_client(three_pages()), refresh_seconds=600, sleep=sleep)
    task = asyncio.create_task(directory.run())
    await asyncio.wait_for(walked.wait(), 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert directory.ready and len(directory) == 5


# --- what a walk changed (follows without webhooks) -------------------------------------


async def test_a_walk_tells_what_changed_but_not_the_first_list(
    make_client: MakeClient, timer: Timer
) -> None:
    first = [row(1, "Acme"), row(2, "Globex"), row(3, "Initech")]
    second = [row(1, "Acme"), row(2, "Globex", status="at_risk"), row(4, "Hooli")]
    pages = Pages({None: (first, None)})
    directory = Directory(make_client(pages), refresh_seconds=600, timer=timer, now=timer.now)
    told: list[dict[int, tuple[Any, Any]]] = []

    async def walked(changes: dict[int, tuple[Any, Any]]) -> None:
        told.append(changes)

    directory.on_walked = walked
    await directory.walk()
    assert told == []  # the first list: everything would be "new"
    pages.pages[None] = (second, None)
    await directory.walk()
    [changes] = told
    assert sorted(changes) == [2, 3, 4]
    before, after = changes[2]
    assert (before.status, after.status) == ("active", "at_risk")
    assert changes[3][1] is None and changes[4][0] is None
    await directory.walk()
    assert len(told) == 1  # nothing changed since
