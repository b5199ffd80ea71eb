"""PivotalClient.update_customer: PATCH body, the rate governor, and every error it maps."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.pivotal.errors import (
    CustomerNotFound,
    PivotalAuthError,
    PivotalError,
    PivotalRateLimited,
    PivotalRefused,
    PivotalUnavailable,
)
from tests.unit.test_client import (
    Clock,
    MakeClient,
    Upstream,
    clock,
    customer,
    error,
    make,
    raises,
)

__all__ = ["clock", "make"]  # the fixtures, shared with test_client


async def test_patches_the_fields_given_and_returns_the_customer(make: MakeClient) -> None:
    upstream = Upstream(httpx.Response(200, json=customer(slack_channel_id="C0NEW")))
    updated = await make(upstream).update_customer("42", {"slack_channel_id": "C0NEW"})
    assert updated.slack_channel_id == "C0NEW"
    (request,) = upstream.requests
    assert request.method == "PATCH"
    assert request.url.raw_path.decode() == "/api/v1/customers/42"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"slack_channel_id": "C0NEW"}


async def test_null_clears_a_field(make: MakeClient) -> None:
    upstream = Upstream(httpx.Response(200, json=customer(slack_channel_id=None)))
    updated = await make(upstream).update_customer("42", {"slack_channel_id": None})
    assert updated.slack_channel_id is None
    assert json.loads(upstream.requests[0].content) == {"slack_channel_id": None}


@pytest.mark.parametrize("ref", ["", "../me", "42/..", "a b", "x" * 65])
async def test_unsafe_refs_are_refused_without_a_request(make: MakeClient, ref: str) -> None:
    upstream = Upstream(httpx.Response(200, json=customer()))
    await raises(make(upstream).update_customer(ref, {"slack_channel_id": None}), CustomerNotFound)
    assert upstream.requests == []


async def test_the_rate_governor_admits_each_write(make: MakeClient, clock: Clock) -> None:
    busy = error(429, "rate_limit_error", code="rate_limited")
    busy.headers["retry-after"] = "12"
    upstream = Upstream(busy, httpx.Response(200, json=customer()))
    client = make(upstream)
    await raises(client.update_customer("42", {"slack_channel_id": "C0NEW"}), PivotalRateLimited)
    # The governor holds the next write back for the Retry-After, with no request.
    await raises(client.update_customer("42", {"slack_channel_id": "C0NEW"}), PivotalRateLimited)
    assert len(upstream.requests) == 1
    clock.t += 13
    await client.update_customer("42", {"slack_channel_id": "C0NEW"})
    assert len(upstream.requests) == 2


REFUSALS = [
    (400, "invalid_request_error", "Field 'slack_channel_id' cannot be set to int here.", None),
    (409, "conflict", "Another customer is linked to this channel.", "slack_channel_id"),
    (
        422,
        "invalid_request_error",
        "slack_channel_id must be a Slack channel id",
        "slack_channel_id",
    ),
    (422, "brand_new_type", "Unprocessable.", None),  # an unknown type: the status decides
]


@pytest.mark.parametrize(("status", "kind", "message", "field"), REFUSALS)
async def test_refusals_carry_pivotals_message(
    make: MakeClient, status: int, kind: str, message: str, field: str | None
) -> None:
    body = {"error": {"type": kind, "code": "invalid_string", "message": message}}
    if field:
        body["error"]["field"] = field
    upstream = Upstream(httpx.Response(status, json=body))
    exc = await raises(
        make(upstream).update_customer("42", {"slack_channel_id": "x"}), PivotalRefused
    )
    assert isinstance(exc, PivotalRefused)
    assert (exc.status, exc.reason, exc.field) == (status, message, field)
    assert len(upstream.requests) == 1  # a refusal is never retried


async def test_a_refusal_without_a_body_has_no_reason(make: MakeClient) -> None:
    upstream = Upstream(httpx.Response(422, content=b"<html>nope</html>"))
    exc = await raises(make(upstream).update_customer("42", {"plan": "x"}), PivotalRefused)
    assert isinstance(exc, PivotalRefused) and exc.reason is None


async def test_a_refusal_message_is_one_printable_line(make: MakeClient) -> None:
    message = "bad\nvalue\x00 " + "x" * 500
    upstream = Upstream(error(400, "invalid_request_error", message=message))
    exc = await raises(make(upstream).update_customer("42", {"plan": "x"}), PivotalRefused)
    assert isinstance(exc, PivotalRefused) and exc.reason is not None
    assert exc.reason.startswith("bad value ") and len(exc.reason) <= 300
    assert "\n" not in exc.reason and "\x00" not in exc.reason


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (error(401, "authentication_error", code="api_key_revoked"), PivotalAuthError),
        (error(403, "permission_error"), PivotalAuthError),
        (httpx.Response(401, content=b"Unauthorized"), PivotalAuthError),
        (error(404, "not_found", code="customer_not_found"), CustomerNotFound),
        (httpx.Response(404), CustomerNotFound),
        (error(429, "rate_limit_error", code="rate_limited"), PivotalRateLimited),
    ],
)
async def test_other_errors_keep_their_family(
    make: MakeClient, response: httpx.Response, expected: type[PivotalError]
) -> None:
    upstream = Upstream(response)
    await raises(make(upstream).update_customer("42", {"slack_channel_id": None}), expected)
    assert len(upstream.requests) == 1


async def test_5xx_and_transport_failures_are_retried_then_succeed(make: MakeClient) -> None:
    upstream = Upstream(
        error(503, "internal_error"),
        httpx.ConnectError("refused"),
        httpx.Response(200, json=customer(slack_channel_id="C0NEW")),
    )
    updated = await make(upstream).update_customer("42", {"slack_channel_id": "C0NEW"})
    assert updated.slack_channel_id == "C0NEW"
    assert [r.method for r in upstream.requests] == ["PATCH"] * 3
    assert all(json.loads(r.content) == {"slack_channel_id": "C0NEW"} for r in upstream.requests)


async def test_retries_are_bounded(make: MakeClient) -> None:
    upstream = Upstream(error(500, "internal_error"))
    await raises(make(upstream).update_customer("42", {"plan": "x"}), PivotalUnavailable)
    assert len(upstream.requests) == 3


async def test_a_body_that_is_not_a_customer_is_unavailable(make: MakeClient) -> None:
    upstream = Upstream(httpx.Response(200, json={"object": "customer", "id": "x"}))
    await raises(make(upstream).update_customer("42", {"plan": "x"}), PivotalUnavailable)
