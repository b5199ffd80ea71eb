"""PivotalClient against httpx.MockTransport: auth, safe paths, errors, retries, parsing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import (
    CustomerNotFound,
    PivotalAuthError,
    PivotalBadRequest,
    PivotalError,
    PivotalRateLimited,
    PivotalUnavailable,
)
from bot.pivotal.ratelimit import RateGovernor

BASE = "https://pivotal.test/api/v1"
KEY = "pivotal_test_k3y"
CUID = "cl9bn00of0000g7l8gcq8c4xk"

Handler = Callable[[httpx.Request], httpx.Response]


def customer(n: int = 42, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "object": "customer",
        "id": f"cus{n:022d}",
        "display_id": n,
        "name": f"Customer {n}",
        "slug": f"customer-{n}",
        "status": "active",
        "created_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-06-01T10:00:00Z",
    }
    body.update(fields)
    return body


def error(status: int, kind: str, message: str = "x", code: str = "c") -> httpx.Response:
    return httpx.Response(status, json={"error": {"type": kind, "code": code, "message": message}})


class Clock:
    """A monotonic clock that only moves when the fake sleep says so."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class Upstream:
    """Answers each request from a script (one handler or response per request, last repeats)."""

    def __init__(self, *script: httpx.Response | Handler | BaseException):
        self.script = list(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script[min(len(self.requests), len(self.script)) - 1]
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)


MakeClient = Callable[..., PivotalClient]


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


async def raises(call: Awaitable[object], kind: type[PivotalError]) -> PivotalError:
    with pytest.raises(kind) as info:
        await call
    assert type(info.value) is kind  # not merely a parent class
    return info.value


# --- requests: key, path, refusal -------------------------------------------------------


async def test_sends_bearer_key_and_accepts_json(make: MakeClient) -> None:
    upstream = Upstream(httpx.Response(200, json=customer()))
    await make(upstream).get_customer("42")
    (request,) = upstream.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["accept"] == "application/json"
    assert request.method == "GET"


@pytest.mark.parametrize(
    ("ref", "path"),
    [
        ("42", "/api/v1/customers/42"),
        ("999999999999", "/api/v1/customers/999999999999"),
        (CUID, f"/api/v1/customers/{CUID}"),
        ("cus_AB-9", "/api/v1/customers/cus_AB-9"),
        ("x" * 64, "/api/v1/customers/" + "x" * 64),
    ],
)
async def test_safe_refs_reach_the_customer_path(make: MakeClient, ref: str, path: str) -> None:
    upstream = Upstream(httpx.Response(200, json=customer()))
    await make(upstream).get_customer(ref)
    (request,) = upstream.requests
    assert request.url.raw_path.decode() == path
    assert request.url.host == "pivotal.test"


@pytest.mark.parametrize(
    "ref",
    ["", "../me", "42/..", "..", ".", "a b", "x" * 65, "42?limit=1", "42#x", "%2e%2e", "42/",
     "me/../customers", "a\\b", "42\n", " 42", "é1", "４２", "<42>", "c1;d"],
)  # fmt: skip
async def test_unsafe_refs_are_refused_without_a_request(make: MakeClient, ref: str) -> None:
    upstream = Upstream(httpx.Response(200, json=customer()))
    exc = await raises(make(upstream).get_customer(ref), CustomerNotFound)
    assert exc.status is None
    assert upstream.requests == []


# --- error envelope → exception ---------------------------------------------------------

ENVELOPES = [
    (404, "not_found", CustomerNotFound),
    (401, "authentication_error", PivotalAuthError),
    (403, "permission_error", PivotalAuthError),
    (429, "rate_limit_error", PivotalRateLimited),
    (500, "internal_error", PivotalUnavailable),
    (400, "invalid_request_error", PivotalBadRequest),
    (409, "conflict", PivotalBadRequest),
    # error.type decides even where the status disagrees
    (400, "not_found", CustomerNotFound),
    (404, "authentication_error", PivotalAuthError),
    (400, "rate_limit_error", PivotalRateLimited),
    (404, "conflict", PivotalBadRequest),
]


@pytest.mark.parametrize(("status", "kind", "expected"), ENVELOPES)
async def test_error_type_chooses_the_exception(
    make: MakeClient, status: int, kind: str, expected: type[PivotalError]
) -> None:
    upstream = Upstream(error(status, kind, code="some_code"))
    exc = await raises(make(upstream, max_attempts=1).get_customer("42"), expected)
    if expected is not PivotalRateLimited:
        assert (exc.status, exc.code) == (status, "some_code")


MISLEADING_MESSAGES = [
    "Rate limit exceeded. Retry after 12 seconds.",
    "Customer not found",
    "Invalid API key",
    "Internal server error, please retry",
    "conflict: slug_taken",
]


@pytest.mark.parametrize("message", MISLEADING_MESSAGES)
@pytest.mark.parametrize(("status", "kind", "expected"), ENVELOPES[:7])
async def test_message_text_never_changes_the_mapping(
    make: MakeClient, message: str, status: int, kind: str, expected: type[PivotalError]
) -> None:
    upstream = Upstream(error(status, kind, message=message))
    await raises(make(upstream, max_attempts=1).get_customer("42"), expected)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, b"", CustomerNotFound),
        (404, b"<html>Not Found</html>", CustomerNotFound),
        (401, b"Unauthorized", PivotalAuthError),
        (403, b'{"message": "not found"}', PivotalAuthError),
        (429, b"slow down", PivotalRateLimited),
        (400, b"[]", PivotalBadRequest),
        (409, b'"conflict"', PivotalBadRequest),
        (422, b"{}", PivotalBadRequest),
        (500, b"<html>oops</html>", PivotalUnavailable),
        (502, b"Bad gateway", PivotalUnavailable),
        (503, b'{"error": null}', PivotalUnavailable),
        (504, b'{"error": "timeout"}', PivotalUnavailable),
        (500, b'{"message": "customer not found"}', PivotalUnavailable),
        (404, b'{"error": {"message": "rate limited"}}', CustomerNotFound),
        (302, b"", PivotalUnavailable),
        # an error.type the bot does not know yet: the status decides
        (401, b'{"error": {"type": "key_expired_error"}}', PivotalAuthError),
        (404, b'{"error": {"type": "gone_error", "code": "customer_deleted"}}', CustomerNotFound),
        (400, b'{"error": {"type": "validation_error"}}', PivotalBadRequest),
        (503, b'{"error": {"type": "maintenance_error"}}', PivotalUnavailable),
        (404, b'{"error": {"type": ["not_found"]}}', CustomerNotFound),
        (401, b'{"error": {"type": {"x": 1}}}', PivotalAuthError),
        (404, b'{"error": {"type": null}}', CustomerNotFound),
    ],
)
async def test_without_an_envelope_the_status_decides(
    make: MakeClient, status: int, body: bytes, expected: type[PivotalError]
) -> None:
    upstream = Upstream(httpx.Response(status, content=body, headers={"location": "/x"}))
    await raises(make(upstream, max_attempts=1).get_customer("42"), expected)


@pytest.mark.parametrize(("header", "retry_after"), [("12", 12.0), ("0.5", 0.5), (None, 1.0)])
async def test_429_carries_retry_after_and_is_not_retried(
    make: MakeClient, clock: Clock, header: str | None, retry_after: float
) -> None:
    headers = {"retry-after": header} if header else {}
    response = httpx.Response(
        429,
        json={"error": {"type": "rate_limit_error", "code": "rate_limited",
                        "message": "Rate limit exceeded. Retry after 99 seconds."}},
        headers=headers,
    )  # fmt: skip
    upstream = Upstream(response, httpx.Response(200, json=customer()))
    exc = await raises(make(upstream).get_customer("42"), PivotalRateLimited)
    assert isinstance(exc, PivotalRateLimited)
    assert exc.retry_after == pytest.approx(retry_after)
    assert exc.status == 429
    assert len(upstream.requests) == 1
    assert clock.sleeps == []


async def test_after_a_429_the_next_lookup_waits_without_a_request(
    make: MakeClient, clock: Clock
) -> None:
    limited = error(429, "rate_limit_error")
    limited.headers["retry-after"] = "30"
    upstream = Upstream(limited, httpx.Response(200, json=customer()))
    client = make(upstream)
    await raises(client.get_customer("42"), PivotalRateLimited)
    exc = await raises(client.get_customer("42"), PivotalRateLimited)
    assert isinstance(exc, PivotalRateLimited)
    assert exc.retry_after == pytest.approx(30)
    assert len(upstream.requests) == 1
    clock.t += 31
    assert (await client.get_customer("42")).display_id == 42
    assert len(upstream.requests) == 2


async def test_rate_headers_reach_the_governor(make: MakeClient) -> None:
    headers = {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "17"}
    client = make(Upstream(httpx.Response(200, json=customer(), headers=headers)))
    await client.get_customer("42")
    assert (client.governor.info().limit, client.governor.info().remaining) == (60, 17)


# --- retries ----------------------------------------------------------------------------

TRANSPORT_FAILURES = [
    httpx.ConnectError("refused"),
    httpx.ConnectTimeout("connect timed out"),
    httpx.ReadTimeout("read timed out"),
    httpx.PoolTimeout("pool"),
    httpx.RemoteProtocolError("peer closed"),
    httpx.ReadError("reset"),
]


@pytest.mark.parametrize("failure", TRANSPORT_FAILURES, ids=lambda e: type(e).__name__)
async def test_transport_failures_retry_then_raise_from_the_httpx_error(
    make: MakeClient, clock: Clock, failure: httpx.TransportError
) -> None:
    upstream = Upstream(failure)
    exc = await raises(make(upstream).get_customer("42"), PivotalUnavailable)
    assert exc.__cause__ is failure
    assert len(upstream.requests) == 3
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize("failure", TRANSPORT_FAILURES[:3], ids=lambda e: type(e).__name__)
async def test_a_transport_failure_then_success_returns_the_customer(
    make: MakeClient, failure: httpx.TransportError
) -> None:
    upstream = Upstream(failure, httpx.Response(200, json=customer(7)))
    assert (await make(upstream).get_customer("7")).display_id == 7
    assert len(upstream.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_retried_until_success(make: MakeClient, clock: Clock, status: int) -> None:
    upstream = Upstream(httpx.Response(status), httpx.Response(200, json=customer()))
    assert (await make(upstream).get_customer("42")).display_id == 42
    assert len(upstream.requests) == 2
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize(("max_attempts", "requests"), [(1, 1), (3, 3), (4, 4)])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_retries_stop_at_max_attempts(
    make: MakeClient, status: int, max_attempts: int, requests: int
) -> None:
    upstream = Upstream(error(status, "internal_error"))
    client = make(upstream, max_attempts=max_attempts, deadline=60.0)
    exc = await raises(client.get_customer("42"), PivotalUnavailable)
    assert exc.status == status
    assert len(upstream.requests) == requests


async def test_default_max_attempts_is_three(make: MakeClient) -> None:
    upstream = Upstream(httpx.Response(503))
    await raises(make(upstream, deadline=60.0).get_customer("42"), PivotalUnavailable)
    assert len(upstream.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 429, 501])
async def test_other_statuses_are_never_retried(
    make: MakeClient, clock: Clock, status: int
) -> None:
    upstream = Upstream(httpx.Response(status), httpx.Response(200, json=customer()))
    with pytest.raises(PivotalError):
        await make(upstream).get_customer("42")
    assert len(upstream.requests) == 1
    assert clock.sleeps == []


def slow(seconds: float, clock: Clock, response: httpx.Response) -> Handler:
    """Takes `seconds` to answer, or times out as httpx would at the request's read timeout."""

    def answer(request: httpx.Request) -> httpx.Response:
        limit = request.extensions["timeout"]["read"]
        if seconds > limit:
            clock.t += limit
            raise httpx.ReadTimeout("too slow", request=request)
        clock.t += seconds
        return response

    return answer


async def test_retries_stay_within_the_deadline(make: MakeClient, clock: Clock) -> None:
    # Each answer takes 1.5 s; a 4.5 s deadline leaves the third attempt only what is left.
    upstream = Upstream(slow(1.5, clock, httpx.Response(503)))
    client = make(upstream, deadline=4.5, max_attempts=10)
    start = clock.t
    await raises(client.get_customer("42"), PivotalUnavailable)
    assert clock.t - start <= 4.5 + 1e-9
    assert len(upstream.requests) == 3


async def test_no_retry_when_the_pause_would_pass_the_deadline(
    make: MakeClient, clock: Clock
) -> None:
    upstream = Upstream(httpx.Response(503), httpx.Response(200, json=customer()))
    client = make(upstream, deadline=0.1)  # first pause is 0.2 s
    await raises(client.get_customer("42"), PivotalUnavailable)
    assert len(upstream.requests) == 1
    assert clock.sleeps == []


async def test_later_attempts_get_only_the_time_that_is_left(
    make: MakeClient, clock: Clock
) -> None:
    upstream = Upstream(slow(2.4, clock, httpx.Response(503)), httpx.Response(200, json=customer()))
    client = make(upstream, deadline=4.5, read_timeout=2.5)
    await client.get_customer("42")
    first, second = (r.extensions["timeout"]["read"] for r in upstream.requests)
    assert first == pytest.approx(2.5)
    assert second == pytest.approx(4.5 - 2.4 - clock.sleeps[0])


async def test_backoff_pauses_grow(make: MakeClient, clock: Clock) -> None:
    upstream = Upstream(httpx.Response(500))
    await raises(
        make(upstream, max_attempts=4, deadline=60.0).get_customer("42"), PivotalUnavailable
    )
    assert clock.sleeps == sorted(clock.sleeps)
    assert clock.sleeps[0] < clock.sleeps[-1]


# --- bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"{", b"[]", b"null", b'"customer"', b"42", b"\xff\xfe\x00"],
)
async def test_a_200_that_is_not_a_json_object_is_unavailable(
    make: MakeClient, body: bytes
) -> None:
    upstream = Upstream(httpx.Response(200, content=body))
    await raises(make(upstream).get_customer("42"), PivotalUnavailable)
    assert len(upstream.requests) == 1


async def test_an_undecodable_body_is_unavailable_not_an_httpx_error(make: MakeClient) -> None:
    def gzip_that_is_not(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"not gzip", headers={"content-encoding": "gzip"})

    upstream = Upstream(gzip_that_is_not)
    exc = await raises(make(upstream).get_customer("42"), PivotalUnavailable)
    assert isinstance(exc.__cause__, httpx.DecodingError)


@pytest.mark.parametrize(
    "broken",
    [
        {"display_id": None},
        {"display_id": "forty-two"},
        {"display_id": 4.5},
        {"id": ""},
        {"id": None},
        {"name": None},
        {"status": None},
        {"created_at": "yesterday"},
        {"mrr": "lots"},
    ],
)
async def test_a_body_that_breaks_the_schema_is_unavailable(
    make: MakeClient, broken: dict[str, Any]
) -> None:
    upstream = Upstream(httpx.Response(200, json=customer(**broken)))
    exc = await raises(make(upstream).get_customer("42"), PivotalUnavailable)
    assert isinstance(exc.__cause__, ValidationError)


@pytest.mark.parametrize("missing", ["id", "display_id", "name", "status", "created_at"])
async def test_a_body_missing_a_required_field_is_unavailable(
    make: MakeClient, missing: str
) -> None:
    body = customer()
    del body[missing]
    await raises(
        make(Upstream(httpx.Response(200, json=body))).get_customer("42"), PivotalUnavailable
    )


async def test_unknown_fields_ignored_and_unknown_status_kept(make: MakeClient) -> None:
    body = customer(status="hibernating", health={"score": 3}, tier="gold", mrr=12_300)
    got = await make(Upstream(httpx.Response(200, json=body))).get_customer("42")
    assert got.status == "hibernating"
    assert got.mrr == 12_300
    assert not hasattr(got, "tier")


# --- list pages and walking -------------------------------------------------------------


def page(
    *data: Any,
    has_more: bool = False,
    next_cursor: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"object": "list", "data": list(data), "has_more": has_more, "next_cursor": next_cursor}
    return httpx.Response(200, json=body, headers=headers)


async def test_list_page_skips_and_counts_bad_entries(make: MakeClient) -> None:
    upstream = Upstream(
        page(customer(1), {"id": "c2"}, customer(3), "junk", None, customer(4, display_id="x"),
             has_more=True, next_cursor="cur_2")
    )  # fmt: skip
    got = await make(upstream).list_customers(background=False)
    assert [c.display_id for c in got.data] == [1, 3]
    assert got.skipped == 4
    assert (got.has_more, got.next_cursor) == (True, "cur_2")
    (request,) = upstream.requests
    assert request.url.path == "/api/v1/customers"
    assert dict(request.url.params) == {"limit": "100"}


async def test_list_page_sends_the_cursor(make: MakeClient) -> None:
    upstream = Upstream(page())
    await make(upstream).list_customers(cursor="cur_abc", limit=5)
    assert dict(upstream.requests[0].url.params) == {"limit": "5", "cursor": "cur_abc"}


@pytest.mark.parametrize(
    "body",
    [
        {"object": "list", "data": []},
        {"object": "list", "data": [], "has_more": "false"},
        {"object": "list", "data": [], "has_more": None},
        {"object": "list", "has_more": False},
        {"object": "list", "data": {"0": {}}, "has_more": False},
        {"error": {"type": "internal_error"}},
    ],
)
async def test_list_envelope_that_breaks_the_shape_is_unavailable(
    make: MakeClient, body: dict[str, Any]
) -> None:
    await raises(
        make(Upstream(httpx.Response(200, json=body))).list_customers(), PivotalUnavailable
    )


async def walk(client: PivotalClient) -> list[list[int]]:
    return [[c.display_id for c in p.data] async for p in client.iter_customers()]


def cursors(upstream: Upstream) -> list[str | None]:
    return [r.url.params.get("cursor") for r in upstream.requests]


async def test_iter_customers_follows_cursors_until_has_more_is_false(make: MakeClient) -> None:
    upstream = Upstream(
        page(customer(5), customer(4), has_more=True, next_cursor="c1"),
        page(customer(3), customer(2), has_more=True, next_cursor="c2"),
        page(customer(1), has_more=False, next_cursor="c3"),
    )
    assert await walk(make(upstream)) == [[5, 4], [3, 2], [1]]
    assert cursors(upstream) == [None, "c1", "c2"]


@pytest.mark.parametrize(
    ("script", "requests"),
    [
        ([("c1", True), ("c1", True)], 2),  # the same cursor again
        ([("c1", True), ("c2", True), ("c1", True)], 3),  # a loop back to an earlier one
        ([(None, True)], 1),  # has_more with no cursor
        ([("", True)], 1),
        ([("c1", True), ("c2", False)], 2),
    ],
)
async def test_iter_customers_stops_on_a_repeated_or_missing_cursor(
    make: MakeClient, script: list[tuple[str | None, bool]], requests: int
) -> None:
    pages = [
        page(customer(i), has_more=more, next_cursor=cur) for i, (cur, more) in enumerate(script)
    ]
    pages.append(page(customer(99)))  # would be reached only by walking too far
    upstream = Upstream(*pages)
    assert len(await walk(make(upstream))) == requests
    assert len(upstream.requests) == requests


async def test_background_walks_wait_for_the_governor(make: MakeClient, clock: Clock) -> None:
    governor = RateGovernor(clock=clock, wall=lambda: 1.7e9, sleep=clock.sleep)
    headers = {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "3",
               "x-ratelimit-reset": str(1.7e9 + 20)}  # fmt: skip
    upstream = Upstream(page(has_more=True, next_cursor="c1", headers=headers), page())
    start = clock.t
    assert len(await walk(make(upstream, governor=governor))) == 2
    assert clock.t - start >= 20


# --- /me --------------------------------------------------------------------------------


def me_shapes() -> Iterator[tuple[dict[str, Any], tuple[Any, ...]]]:
    yield (
        {"object": "me",
         "api_key": {"id": "api_1", "name": "slack-bot", "prefix": "pivotal_abc123",
                     "scopes": ["read:customers"], "rate_limit_tier": "standard"},
         "organization": {"id": "org_1", "slug": "acme-corp", "name": "Acme Corp"}},
        ("slack-bot", "pivotal_abc123", "Acme Corp", None),
    )  # fmt: skip
    yield (
        {"object": "api_key_identity", "key_name": "ci-smoke", "key_prefix": "pivotal_test_x",
         "livemode": False, "mode": "test"},
        ("ci-smoke", "pivotal_test_x", None, False),
    )  # fmt: skip
    yield (
        {"object": "me", "api_key": {"prefix": "pivotal_q"}, "organization": {"slug": "acme"}},
        (None, "pivotal_q", "acme", None),
    )
    yield (
        {"object": "me", "api_key": "pivotal_q", "organization": ["x"], "livemode": "yes",
         "key_name": 5},
        (None, None, None, None),
    )  # fmt: skip
    yield ({}, (None, None, None, None))


@pytest.mark.parametrize(("body", "expected"), list(me_shapes()))
async def test_me_parses_both_documented_shapes(
    make: MakeClient, body: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    upstream = Upstream(httpx.Response(200, json=body))
    got = await make(upstream).me()
    assert (got.key_name, got.key_prefix, got.organization, got.livemode) == expected
    assert upstream.requests[0].url.path == "/api/v1/me"


async def test_me_maps_errors_like_any_call(make: MakeClient) -> None:
    upstream = Upstream(error(401, "authentication_error", code="api_key_revoked"))
    exc = await raises(make(upstream).me(), PivotalAuthError)
    assert exc.code == "api_key_revoked"
