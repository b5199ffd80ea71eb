"""PivotalClient's contact and onboarding lists against httpx.MockTransport: paths, cursor
walks, the governor, retries, and what a 404 on a list means."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import (
    CustomerNotFound,
    NotFound,
    PivotalAuthError,
    PivotalBadRequest,
    PivotalEndpointMissing,
    PivotalError,
    PivotalRateLimited,
    PivotalUnavailable,
)
from bot.pivotal.ratelimit import RateGovernor
from bot.pivotal.related import Contact, Onboarding
from tests.unit.test_client import BASE, KEY, Clock, Upstream, error, page, raises

CUSTOMER = "cl9bn00of0000g7l8gcq8c4xk"
MakeClient = Callable[..., PivotalClient]


def contact(n: int, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "contact", "id": f"ct{n}", "display_id": n,
                            "customer_id": CUSTOMER, "name": f"Person {n}", "is_primary": n == 1,
                            "labels": [], "created_at": "2024-05-01T10:00:00Z"}  # fmt: skip
    body.update(fields)
    return body


def onboarding(n: int, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "onboarding", "id": f"ob{n}", "display_id": n,
                            "customer_id": CUSTOMER, "phase": "launch",
                            "state": "active"}  # fmt: skip
    body.update(fields)
    return body


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make(clock: Clock) -> AsyncIterator[MakeClient]:
    clients: list[PivotalClient] = []

    def build(upstream: Upstream, **options: Any) -> PivotalClient:
        options.setdefault("sleep", clock.sleep)
        options.setdefault("jitter", lambda: 0.5)
        options.setdefault("clock", clock)
        options.setdefault("governor", RateGovernor(clock=clock, wall=lambda: 1.7e9))
        client = PivotalClient(
            BASE, SecretStr(KEY), transport=httpx.MockTransport(upstream), **options
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


def cursors(upstream: Upstream) -> list[str | None]:
    return [r.url.params.get("cursor") for r in upstream.requests]


# --- contacts ---------------------------------------------------------------------------


async def test_list_contacts_walks_every_page(make: MakeClient) -> None:
    upstream = Upstream(
        page(contact(1), contact(2), has_more=True, next_cursor="2024-05-01T10:00:00.000Z"),
        page(contact(3), has_more=False),
    )
    found = await make(upstream).list_contacts("42")
    assert [c.display_id for c in found] == [1, 2, 3] and all(isinstance(c, Contact) for c in found)
    assert [r.url.path for r in upstream.requests] == ["/api/v1/customers/42/contacts"] * 2
    assert cursors(upstream) == [None, "2024-05-01T10:00:00.000Z"]
    assert all(r.url.params["limit"] == "100" for r in upstream.requests)
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in upstream.requests)


async def test_list_contacts_by_cuid_and_skips_bad_entries(make: MakeClient) -> None:
    upstream = Upstream(page(contact(1), {"id": "x"}, "junk", contact(2, labels="vip"), contact(3)))
    found = await make(upstream).list_contacts(CUSTOMER)
    assert [c.display_id for c in found] == [1, 3]
    assert upstream.requests[0].url.path == f"/api/v1/customers/{CUSTOMER}/contacts"


@pytest.mark.parametrize("ref", ["../me", "42/contacts", "", "a b", "x" * 65, "42?x=1"])
async def test_unsafe_refs_are_refused_without_a_request(make: MakeClient, ref: str) -> None:
    upstream = Upstream(page())
    client = make(upstream)
    await raises(client.list_contacts(ref), CustomerNotFound)
    await raises(client.list_customer_onboardings(ref), CustomerNotFound)
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("response", "kind", "what"),
    [
        # the code says the customer is missing: that, and only that, is CustomerNotFound
        (error(404, "not_found", code="customer_not_found"), CustomerNotFound, "customer"),
        # a 404 that names nothing (no route, a proxy, an older API): the list is missing
        (error(404, "not_found", code="not_found"), PivotalEndpointMissing, None),
        (error(404, "not_found", code="route_not_found"), PivotalEndpointMissing, None),
        (httpx.Response(404, text="Not Found"), PivotalEndpointMissing, None),
        (httpx.Response(404, json={"error": {"type": "not_found"}}), PivotalEndpointMissing, None),
        # another named resource
        (error(404, "not_found", code="contact_not_found"), NotFound, "contact"),
        # the rest maps as for any GET
        (error(401, "authentication_error"), PivotalAuthError, None),
        (error(429, "rate_limit_error"), PivotalRateLimited, None),
        (error(500, "internal_error"), PivotalUnavailable, None),
    ],
)
async def test_errors_of_a_contact_list(
    make: MakeClient, response: httpx.Response, kind: type[PivotalError], what: str | None
) -> None:
    raised = await raises(make(Upstream(response)).list_contacts("42"), kind)
    if what is not None:
        assert isinstance(raised, NotFound) and raised.what == what
    if kind is PivotalEndpointMissing:
        assert isinstance(raised, PivotalUnavailable) and raised.status == 404
        assert not isinstance(raised, NotFound) and "contacts" in str(raised)


async def test_a_404_on_the_second_page_is_mapped_too(make: MakeClient) -> None:
    upstream = Upstream(page(contact(1), has_more=True, next_cursor="c1"),
                        error(404, "not_found", code="customer_not_found"))  # fmt: skip
    await raises(make(upstream).list_contacts("42"), CustomerNotFound)


async def test_contact_lists_retry_5xx_then_succeed(make: MakeClient, clock: Clock) -> None:
    upstream = Upstream(error(503, "internal_error"), page(contact(1)))
    assert len(await make(upstream).list_contacts("42")) == 1
    assert len(upstream.requests) == 2 and len(clock.sleeps) == 1


@pytest.mark.parametrize(
    "body",
    [{"object": "list", "data": []}, {"object": "list", "data": {}, "has_more": False},
     {"object": "contact", "id": "ct1"}],
)  # fmt: skip
async def test_a_list_of_the_wrong_shape_is_unavailable(
    make: MakeClient, body: dict[str, Any]
) -> None:
    raised = await raises(
        make(Upstream(httpx.Response(200, json=body))).list_contacts("42"), PivotalUnavailable
    )
    assert "contacts list" in str(raised)


async def test_contact_walk_stops_on_a_repeated_cursor(make: MakeClient) -> None:
    upstream = Upstream(page(contact(1), has_more=True, next_cursor="c1"),
                        page(contact(2), has_more=True, next_cursor="c1"),
                        page(contact(3)))  # fmt: skip
    assert [c.display_id for c in await make(upstream).list_contacts("42")] == [1, 2]
    assert len(upstream.requests) == 2


async def test_a_contact_list_is_foreground_unless_asked(make: MakeClient, clock: Clock) -> None:
    governor = RateGovernor(clock=clock, wall=lambda: 1.7e9, sleep=clock.sleep)
    low = {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "3",
           "x-ratelimit-reset": str(1.7e9 + 20)}  # fmt: skip
    upstream = Upstream(page(contact(1), has_more=True, next_cursor="c1", headers=low),
                        page(contact(2)))  # fmt: skip
    start = clock.t
    assert len(await make(upstream, governor=governor).list_contacts("42")) == 2
    assert clock.t - start < 20  # a person waits for it: no background budget
    upstream = Upstream(page(contact(1), has_more=True, next_cursor="c1", headers=low),
                        page(contact(2)))  # fmt: skip
    client = make(upstream, governor=RateGovernor(clock=clock, wall=lambda: 1.7e9,
                                                  sleep=clock.sleep))  # fmt: skip
    start = clock.t
    assert len(await client.list_contacts("42", background=True)) == 2
    assert clock.t - start >= 20


# --- onboardings ------------------------------------------------------------------------


async def test_iter_onboardings_walks_100_a_page_with_filters(make: MakeClient) -> None:
    upstream = Upstream(
        page(onboarding(1), onboarding(2), has_more=True, next_cursor="c1"),
        page(onboarding(3, phase="kickoff", state="blocked"), has_more=False, next_cursor="c2"),
    )
    client = make(upstream)
    pages = [p async for p in client.iter_onboardings(phase="launch", state="active")]
    assert [[o.display_id for o in p.data] for p in pages] == [[1, 2], [3]]
    assert all(isinstance(o, Onboarding) for p in pages for o in p.data)
    assert pages[1].data[0].phase == "kickoff"  # open values survive
    assert [r.url.path for r in upstream.requests] == ["/api/v1/onboardings"] * 2
    assert [dict(r.url.params) for r in upstream.requests] == [
        {"phase": "launch", "state": "active", "limit": "100"},
        {"phase": "launch", "state": "active", "limit": "100", "cursor": "c1"},
    ]


async def test_iter_onboardings_counts_skipped_entries(make: MakeClient) -> None:
    upstream = Upstream(page(onboarding(1), onboarding(2, phase=None), {"id": "z"}))
    [only] = [p async for p in make(upstream).iter_onboardings()]
    assert [o.display_id for o in only.data] == [1] and only.skipped == 2
    assert dict(upstream.requests[0].url.params) == {"limit": "100"}


async def test_iter_onboardings_waits_for_the_background_budget(
    make: MakeClient, clock: Clock
) -> None:
    governor = RateGovernor(clock=clock, wall=lambda: 1.7e9, sleep=clock.sleep)
    low = {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "3",
           "x-ratelimit-reset": str(1.7e9 + 20)}  # fmt: skip
    upstream = Upstream(page(onboarding(1), has_more=True, next_cursor="c1", headers=low),
                        page(onboarding(2)))  # fmt: skip
    start = clock.t
    pages = [p async for p in make(upstream, governor=governor).iter_onboardings()]
    assert len(pages) == 2 and clock.t - start >= 20


@pytest.mark.parametrize(
    ("response", "kind"),
    [(error(404, "not_found", code="not_found"), PivotalEndpointMissing),
     (error(404, "not_found", code="onboarding_not_found"), NotFound),
     (error(400, "invalid_request_error", code="invalid_string"), PivotalBadRequest)],
)  # fmt: skip
async def test_iter_onboardings_errors(
    make: MakeClient, response: httpx.Response, kind: type[PivotalError]
) -> None:
    with pytest.raises(kind) as info:
        [p async for p in make(Upstream(response)).iter_onboardings()]
    assert type(info.value) is kind


async def test_list_customer_onboardings(make: MakeClient) -> None:
    upstream = Upstream(page(onboarding(1), has_more=True, next_cursor="c1"),
                        page(onboarding(2, phase="completed",
                                        completed_at="2026-01-01T00:00:00Z")))  # fmt: skip
    found = await make(upstream).list_customer_onboardings("42")
    assert [o.phase for o in found] == ["launch", "completed"]
    assert [r.url.path for r in upstream.requests] == ["/api/v1/customers/42/onboardings"] * 2
    missing = Upstream(error(404, "not_found", code="customer_not_found"))
    await raises(make(missing).list_customer_onboardings("42"), CustomerNotFound)
    gone = Upstream(error(404, "not_found", code="not_found"))
    await raises(make(gone).list_customer_onboardings("42"), PivotalEndpointMissing)


async def test_customer_lookups_still_map_every_404_to_customer_not_found(
    make: MakeClient,
) -> None:
    for code in ("customer_not_found", "not_found", "onboarding_not_found"):
        upstream = Upstream(error(404, "not_found", code=code))
        raised = await raises(make(upstream).get_customer("42"), CustomerNotFound)
        assert raised.what == "customer" and raised.code == code
