"""Rate-limit headers parsed once, the one clamp on waits, and errors from responses."""

from __future__ import annotations

import math

import httpx
import pytest

from bot.pivotal.errors import (
    CustomerNotFound,
    PivotalAuthError,
    PivotalBadRequest,
    PivotalError,
    PivotalRateLimited,
    PivotalUnavailable,
)
from bot.pivotal.headers import MAX_WAIT, MIN_WAIT, RateHeaders, clamp_wait

WALL = 1_700_000_000.0


@pytest.mark.parametrize(
    ("seconds", "wait"),
    [(None, 1.0), (math.nan, 1.0), (math.inf, MAX_WAIT), (-math.inf, MIN_WAIT), (0.0, MIN_WAIT),
     (-3.0, MIN_WAIT), (0.5, 0.5), (12.0, 12.0), (1e9, MAX_WAIT)],
)  # fmt: skip
def test_clamp_wait(seconds: float | None, wait: float) -> None:
    assert clamp_wait(seconds) == wait


@pytest.mark.parametrize(
    ("headers", "parsed"),
    [
        ({}, RateHeaders()),
        ({"x-ratelimit-limit": "60", "x-ratelimit-remaining": "7"}, RateHeaders(60, 7)),
        ({"x-ratelimit-reset": str(WALL + 9)}, RateHeaders(reset_at=WALL + 9)),
        ({"retry-after": "12"}, RateHeaders(retry_after=12.0)),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, RateHeaders()),
        ({"retry-after": "inf", "x-ratelimit-reset": "nan"}, RateHeaders()),
        ({"x-ratelimit-limit": "sixty", "x-ratelimit-remaining": "1.5"}, RateHeaders()),
    ],
)
def test_parse(headers: dict[str, str], parsed: RateHeaders) -> None:
    assert RateHeaders.parse(headers) == parsed


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "12", "x-ratelimit-reset": str(WALL + 30)}, 12.0),
        ({"x-ratelimit-reset": str(WALL + 30)}, 30.0),
        ({"x-ratelimit-reset": str(WALL - 30)}, 1.0),  # a reset in the past says nothing
        ({"retry-after": "0"}, MIN_WAIT),
        ({}, 1.0),
    ],
)
def test_wait_after_a_429(headers: dict[str, str], wait: float) -> None:
    assert RateHeaders.parse(headers).wait(WALL) == pytest.approx(wait)


def response(status: int, kind: str | None = None, **headers: str) -> httpx.Response:
    body = {"error": {"type": kind, "code": "c1", "message": "not_found"}} if kind else {}
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (response(404, "not_found"), CustomerNotFound),
        (response(404), CustomerNotFound),
        (response(401, "authentication_error"), PivotalAuthError),
        (response(403), PivotalAuthError),
        (response(429), PivotalRateLimited),
        (response(400, "rate_limit_error"), PivotalRateLimited),
        (response(400, "invalid_request_error"), PivotalBadRequest),
        (response(409, "conflict"), PivotalBadRequest),
        (response(418, "brand_new_type"), PivotalBadRequest),  # unknown type: status decides
        (response(500, "not_found"), CustomerNotFound),  # the type wins, never the message
        (response(503), PivotalUnavailable),
        (httpx.Response(502, content=b"<html>"), PivotalUnavailable),
    ],
)
def test_from_response(given: httpx.Response, expected: type[PivotalError]) -> None:
    error = PivotalError.from_response(given)
    assert type(error) is expected


@pytest.mark.parametrize(("wait", "carried"), [(12.0, 12.0), (None, 1.0), (1e9, MAX_WAIT)])
def test_a_429_carries_the_wait_it_was_given(wait: float | None, carried: float) -> None:
    error = PivotalError.from_response(response(429), retry_after=wait)
    assert isinstance(error, PivotalRateLimited)
    assert error.retry_after == carried


def test_only_5xx_gateway_errors_are_retryable() -> None:
    for status, retryable in ((500, True), (502, True), (503, True), (504, True), (501, False)):
        error = PivotalError.from_response(response(status))
        assert isinstance(error, PivotalUnavailable)
        assert error.retryable is retryable
