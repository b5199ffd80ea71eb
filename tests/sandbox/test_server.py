"""Tests for the sample data and the sandbox Pivotal API server (loopback only)."""

from __future__ import annotations

import asyncio
import copy
import json
import math
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from bot.sandbox.pivotal.data import (
    ACME_ID,
    CUSTOMER_KEYS,
    SAMPLE_CHANNELS,
    UNLINKED_CHANNEL,
    generate_customers,
    sample_customers,
)
from bot.sandbox.pivotal.faults import FAULT_MODES
from bot.sandbox.pivotal.server import SandboxPivotal
from tests.reference import PIVOTAL_OPENAPI

KEY = "pivotal_test_sandbox"
# Plain HTTP on loopback only; sharing one SSL context avoids httpx loading the CA bundle
# (tens of ms) for every client.
TLS = ssl.create_default_context()
AUTH = {"Authorization": f"Bearer {KEY}"}
SCHEMA_PATH = PIVOTAL_OPENAPI
CUID = re.compile(r"^c[a-z0-9]{24}$")
CHANNEL = re.compile(r"^C[A-Z0-9]{8,10}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
STATUSES = {"active", "at_risk", "churned", "archived", "onboarding", "paused", "trialing"}
NULLABLE = (
    "slug", "domain", "plan", "mrr", "monthly_orders", "hubspot_company_id", "hubspot_deal_id",
    "stripe_customer_id", "intercom_company_id", "slack_channel_id",
)  # fmt: skip


def api_client(base_url: str = "", **kwargs: Any) -> httpx.AsyncClient:
    kwargs.setdefault("headers", AUTH)
    kwargs.setdefault("timeout", 5)
    return httpx.AsyncClient(base_url=base_url, verify=TLS, **kwargs)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxPivotal]:
    sb = SandboxPivotal()
    await sb.start()
    yield sb
    await sb.stop()


@pytest.fixture
async def client(sandbox: SandboxPivotal) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(sandbox.base_url) as c:
        yield c


@pytest.fixture(scope="module")
def customer_validator() -> Iterator[Draft202012Validator]:
    doc = yaml.safe_load(SCHEMA_PATH.read_text())
    # The root document carries `components`, so '#/components/schemas/...' refs resolve.
    schema = {"$ref": "#/components/schemas/Customer", "components": doc["components"]}
    yield Draft202012Validator(schema, format_checker=FormatChecker())


def error_of(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert set(body) == {"error"}
    err: dict[str, Any] = body["error"]
    assert {"type", "code", "message"} <= set(err)
    return err


# ---- data ------------------------------------------------------------------------------
def test_sample_invariants() -> None:
    cs = sample_customers()
    assert 55 <= len(cs) <= 70
    assert all(tuple(c) == CUSTOMER_KEYS for c in cs)
    for k in ("id", "display_id", "created_at"):
        assert len({c[k] for c in cs}) == len(cs), k
    slugs = [c["slug"] for c in cs if c["slug"] is not None]
    assert len(slugs) == len(set(slugs)) and len(slugs) <= len(cs) - 2
    assert [c["created_at"] for c in cs] == sorted((c["created_at"] for c in cs), reverse=True)
    for c in cs:
        assert c["object"] == "customer" and CUID.match(c["id"]), c
        assert TIMESTAMP.match(c["created_at"]) and TIMESTAMP.match(c["updated_at"])
        assert c["updated_at"] >= c["created_at"]
        assert c["slack_channel_id"] is None or CHANNEL.match(c["slack_channel_id"])
        assert c["stripe_customer_id"] is None or c["stripe_customer_id"].startswith("cus_")
    by_display = {c["display_id"]: c for c in cs}
    assert 999 not in by_display and 404 not in by_display
    assert {c["status"] for c in cs} == STATUSES
    for k in NULLABLE:
        values = [c[k] for c in cs]
        assert None in values and any(v is not None for v in values), k
    assert any(all(c[k] is None for k in NULLABLE) for c in cs)
    mrrs = [c["mrr"] for c in cs]
    assert 0 in mrrs and max(m for m in mrrs if m is not None) >= 987654321
    assert 0 in [c["monthly_orders"] for c in cs]
    domains = [c["domain"] for c in cs if c["domain"]]
    assert len(domains) > len(set(domains))  # a shared domain
    assert "Smith & Sons <Ltd>" in {c["name"] for c in cs}


def test_sample_named_customers() -> None:
    by_display = {c["display_id"]: c for c in sample_customers()}
    acme = by_display[42]
    assert {k: v for k, v in acme.items() if k not in ("created_at", "updated_at")} == {
        "object": "customer", "id": ACME_ID, "display_id": 42, "name": "Acme Co.",
        "slug": "acme-co", "domain": "acme.com", "status": "active", "plan": "enterprise",
        "mrr": 125000, "monthly_orders": 320, "hubspot_company_id": "123456789",
        "hubspot_deal_id": "987654321", "stripe_customer_id": "cus_J5k9vX2bL8Q7Yz",
        "intercom_company_id": "abc123def456", "slack_channel_id": "C024BE7LT",
    }  # fmt: skip
    globex = by_display[7]
    assert globex["slack_channel_id"] is None and globex["status"] != "active"
    assert globex["plan"] != "enterprise"
    assert by_display[245]["name"] == "Aurora" and by_display[245]["slug"] == "aurora"


def test_sample_channels_and_determinism() -> None:
    cs = sample_customers()
    linked = {c["slack_channel_id"]: c["display_id"] for c in cs if c["slack_channel_id"]}
    assert linked == SAMPLE_CHANNELS and len(linked) >= 5
    assert SAMPLE_CHANNELS["C024BE7LT"] == 42
    assert UNLINKED_CHANNEL not in SAMPLE_CHANNELS
    again = sample_customers()
    assert again == cs
    again[0]["name"] = "mutated"
    assert sample_customers()[0]["name"] != "mutated"  # fresh copies every call


def test_sample_validates_against_openapi(customer_validator: Draft202012Validator) -> None:
    for c in sample_customers():
        errors = [e.message for e in customer_validator.iter_errors(c)]
        assert not errors, (c["display_id"], errors)
    bad = {"object": "customer", "id": "x", "display_id": "abc", "name": None}
    assert not customer_validator.is_valid(bad)


def test_generate_customers(customer_validator: Draft202012Validator) -> None:
    started = time.perf_counter()
    cs = generate_customers(10_000)
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, elapsed  # typically ~0.1-0.3 s; generous for loaded CI machines
    assert len(cs) == 10_000
    assert sorted(c["display_id"] for c in cs) == list(range(1, 10_001))
    for k in ("id", "created_at"):
        assert len({c[k] for c in cs}) == 10_000, k
    slugs = [c["slug"] for c in cs if c["slug"] is not None]
    assert len(slugs) == len(set(slugs))
    channels = [c["slack_channel_id"] for c in cs if c["slack_channel_id"]]
    assert len(channels) == len(set(channels)) and 700 <= len(channels) <= 1300
    assert [c["created_at"] for c in cs] == sorted((c["created_at"] for c in cs), reverse=True)
    assert all(tuple(c) == CUSTOMER_KEYS for c in cs)
    assert all(CUID.match(c["id"]) and TIMESTAMP.match(c["created_at"]) for c in cs)
    assert all(c["slack_channel_id"] is None or CHANNEL.match(c["slack_channel_id"]) for c in cs)
    for k in NULLABLE:
        assert any(c[k] is None for c in cs) and any(c[k] is not None for c in cs), k
    for c in cs[::50]:
        assert customer_validator.is_valid(c), c
    assert generate_customers(10_000) == cs
    assert generate_customers(50, seed=2) != generate_customers(50, seed=1)
    assert generate_customers(0) == []


# ---- reads -----------------------------------------------------------------------------
async def test_health_needs_no_auth(sandbox: SandboxPivotal) -> None:
    async with api_client(headers={}) as c:
        resp = await c.get(sandbox.base_url + "/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok" and body["version"] == "v1" and TIMESTAMP.match(body["timestamp"])
    assert "X-RateLimit-Limit" not in resp.headers
    assert sandbox.base_url.startswith("http://127.0.0.1:") and sandbox.base_url.endswith("/api/v1")


async def test_me(client: httpx.AsyncClient) -> None:
    body = (await client.get("/me")).json()
    assert body["object"] == "me" and body["livemode"] is False
    assert body["api_key"]["prefix"] == KEY[:12] and body["api_key"]["id"].startswith("api_")
    assert body["api_key"]["rate_limit_tier"] == "standard" and body["api_key"]["scopes"]
    org = {"id": "org_sandbox", "slug": "sandbox", "name": "Sandbox Workspace"}
    assert body["organization"] == org
    assert KEY not in json.dumps(body)


async def test_me_livemode_for_live_key() -> None:
    headers = {"Authorization": "Bearer pivotal_live_abc123xyz"}
    async with (
        SandboxPivotal(api_keys=["pivotal_live_abc123xyz"]) as sb,
        api_client(sb.base_url, headers=headers) as c,
    ):
        body = (await c.get("/me")).json()
    assert body["livemode"] is True and body["api_key"]["prefix"] == "pivotal_live"


async def test_get_by_display_id_and_cuid(client: httpx.AsyncClient) -> None:
    by_display = await client.get("/customers/42")
    by_cuid = await client.get(f"/customers/{ACME_ID}")
    assert by_display.status_code == by_cuid.status_code == 200
    assert by_display.json() == by_cuid.json()
    assert by_display.json()["name"] == "Acme Co."
    assert by_display.headers["content-type"].startswith("application/json")
    assert (await client.get("/customers/7")).json()["name"] == "Globex Corporation"


@pytest.mark.parametrize("ident", ["999", "404", "cl9bn00of0000g7l8gcq8c4xz", "aurora"])
async def test_get_missing_is_404_envelope(client: httpx.AsyncClient, ident: str) -> None:
    resp = await client.get(f"/customers/{ident}")
    assert resp.status_code == 404
    assert error_of(resp) == {
        "type": "not_found",
        "code": "customer_not_found",
        "message": f"No such customer: '{ident}'",
    }


async def test_pagination_walk_visits_everyone_once(
    sandbox: SandboxPivotal, client: httpx.AsyncClient
) -> None:
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 7}
    pages = 0
    while True:
        body = (await client.get("/customers", params=params)).json()
        pages += 1
        assert body["object"] == "list" and len(body["data"]) <= 7
        seen.extend(body["data"])
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        assert body["next_cursor"] == body["data"][-1]["created_at"]
        params["cursor"] = body["next_cursor"]
    expected = sample_customers()
    assert seen == expected  # every customer exactly once, newest first
    assert pages == math.ceil(len(expected) / 7) and sandbox.list_calls() == pages


async def test_default_limit_and_max(client: httpx.AsyncClient) -> None:
    assert len((await client.get("/customers")).json()["data"]) == 20
    body = (await client.get("/customers", params={"limit": 100})).json()
    assert len(body["data"]) == len(sample_customers()) and body["has_more"] is False


async def test_status_filter_before_paging(client: httpx.AsyncClient) -> None:
    expected = [c for c in sample_customers() if c["status"] == "at_risk"]
    assert len(expected) >= 3
    got: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2, "status": "at_risk"}
    while True:
        body = (await client.get("/customers", params=params)).json()
        assert len(body["data"]) == 2 or not body["has_more"]  # full pages while more remain
        got.extend(body["data"])
        if not body["has_more"]:
            break
        params["cursor"] = body["next_cursor"]
    assert got == expected
    empty = (await client.get("/customers", params={"status": "nope"})).json()
    assert empty == {"object": "list", "data": [], "has_more": False, "next_cursor": None}


async def test_cursor_is_strictly_older(client: httpx.AsyncClient) -> None:
    cs = sample_customers()
    body = (await client.get("/customers", params={"cursor": cs[3]["created_at"]})).json()
    assert body["data"][0] == cs[4]
    old = (await client.get("/customers", params={"cursor": "2000-01-01T00:00:00Z"})).json()
    assert old["data"] == [] and old["has_more"] is False


@pytest.mark.parametrize("cursor", ["yesterday", "", "2026-13-45T00:00:00Z", "12345"])
async def test_bad_cursor_400(client: httpx.AsyncClient, cursor: str) -> None:
    resp = await client.get("/customers", params={"cursor": cursor})
    assert resp.status_code == 400
    err = error_of(resp)
    assert (err["type"], err["code"], err["field"]) == (
        "invalid_request_error",
        "invalid_string",
        "cursor",
    )


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", ""])
async def test_bad_limit_400(client: httpx.AsyncClient, limit: str) -> None:
    resp = await client.get("/customers", params={"limit": limit})
    assert resp.status_code == 400
    err = error_of(resp)
    assert err["type"] == "invalid_request_error" and err["field"] == "limit"


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient) -> None:
    resp = await client.get("/nope")
    assert resp.status_code == 404 and error_of(resp)["type"] == "not_found"
    resp = await client.post("/customers/42", json={})
    assert resp.status_code == 405 and error_of(resp)["type"] == "invalid_request_error"
    assert "X-RateLimit-Remaining" in resp.headers


# ---- auth ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    [None, "Bearer nope", "pivotal_test_sandbox", "Bearer: pivotal_test_sandbox", "Basic abc"],
)
async def test_auth_failures(sandbox: SandboxPivotal, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    async with api_client(sandbox.base_url, headers=headers) as c:
        resp = await c.get("/customers/42")
    assert resp.status_code == 401
    err = error_of(resp)
    assert (err["type"], err["code"]) == ("authentication_error", "invalid_api_key")
    assert "X-RateLimit-Limit" in resp.headers
    assert sandbox.requests[-1].authorized is False


async def test_lowercase_bearer_accepted(sandbox: SandboxPivotal) -> None:
    async with api_client(sandbox.base_url, headers={"Authorization": f"bearer {KEY}"}) as c:
        assert (await c.get("/customers/42")).status_code == 200


async def test_revoke_and_restore(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    sandbox.revoke_key(KEY)
    for path in ("/customers/42", "/me", "/customers"):
        resp = await client.get(path)
        assert resp.status_code == 401
        assert error_of(resp)["code"] == "api_key_revoked"
    sandbox.restore_key(KEY)
    assert (await client.get("/customers/42")).status_code == 200


# ---- rate limit ------------------------------------------------------------------------
async def test_rate_limit_headers_and_429() -> None:
    clock = FakeClock()
    async with SandboxPivotal(rate_limit=3, clock=clock) as sb, api_client(sb.base_url) as c:
        await c.get("/health")  # not counted
        remaining = []
        for path in ("/customers/42", "/customers/999", "/customers?limit=0"):
            resp = await c.get(path)  # successes and errors both count
            assert resp.headers["X-RateLimit-Limit"] == "3"
            remaining.append(resp.headers["X-RateLimit-Remaining"])
            reset = int(resp.headers["X-RateLimit-Reset"])
            assert time.time() - 5 < reset <= time.time() + 61
        assert remaining == ["2", "1", "0"]
        clock.now += 20
        resp = await c.get("/customers/42")
        assert resp.status_code == 429
        assert resp.headers["Retry-After"] == "40"
        assert resp.headers["X-RateLimit-Remaining"] == "0"
        err = error_of(resp)
        assert (err["type"], err["code"]) == ("rate_limit_error", "rate_limited")
        assert "Retry after 40 seconds" in err["message"]
        async with api_client(sb.base_url, headers={}) as anon:  # its own bucket
            assert (await anon.get("/customers/42")).status_code == 401
        clock.now += 40.5
        ok = await c.get("/customers/42")
        assert ok.status_code == 200 and ok.headers["X-RateLimit-Remaining"] == "2"


async def test_retry_after_is_at_least_one_second() -> None:
    clock = FakeClock()
    async with (
        SandboxPivotal(rate_limit=1, window=0.5, clock=clock) as sb,
        api_client(sb.base_url) as c,
    ):
        assert (await c.get("/me")).status_code == 200
        resp = await c.get("/me")
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "1"


# ---- latency and faults ----------------------------------------------------------------
async def test_latency(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    sandbox.latency = 0.05
    started = time.perf_counter()
    assert (await client.get("/customers/42")).status_code == 200
    assert time.perf_counter() - started >= 0.045


async def test_fault_hang_then_reset(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    sandbox.set_fault("hang")
    with pytest.raises(httpx.TimeoutException):
        await client.get("/customers/42", timeout=0.2)
    assert (await client.get("/me")).status_code == 200  # only /customers is affected
    sandbox.reset()
    assert (await client.get("/customers/42", timeout=2)).status_code == 200


async def test_stop_releases_hung_requests_promptly() -> None:
    sb = SandboxPivotal()
    url = await sb.start()
    sb.set_fault("hang")
    async with api_client(url) as c:
        pending = asyncio.ensure_future(c.get("/customers/42"))
        await asyncio.sleep(0.05)
        assert not pending.done()
        started = time.perf_counter()
        await sb.stop()
        assert time.perf_counter() - started < 1.0
        await asyncio.wait([pending], timeout=2)
        assert pending.done()
        pending.exception() if not pending.cancelled() else None  # retrieve, whatever it is


async def test_fault_error_500(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    sandbox.set_fault("error_500")
    resp = await client.get("/customers/42")
    assert resp.status_code == 500 and error_of(resp)["type"] == "internal_error"
    assert "X-RateLimit-Remaining" in resp.headers
    assert (await client.get("/me")).status_code == 200


async def test_fault_malformed_json(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    sandbox.set_fault("malformed_json")
    for path in ("/customers/42", "/customers"):
        resp = await client.get(path)
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("application/json")
        with pytest.raises(json.JSONDecodeError):
            resp.json()


async def test_fault_bad_schema(
    sandbox: SandboxPivotal, client: httpx.AsyncClient, customer_validator: Draft202012Validator
) -> None:
    sandbox.set_fault("bad_schema")
    one = (await client.get("/customers/42")).json()
    assert one["display_id"] == "abc" and one["name"] is None
    assert not customer_validator.is_valid(one)
    listed = (await client.get("/customers")).json()
    assert listed["object"] == "list" and not customer_validator.is_valid(listed["data"][0])


async def test_fault_rate_limited(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    sandbox.set_fault("rate_limited")
    resp = await client.get("/customers/42")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert resp.headers["X-RateLimit-Remaining"] == "0"
    assert error_of(resp)["type"] == "rate_limit_error"
    sandbox.set_fault("rate_limited", retry_after=2)
    assert (await client.get("/customers")).headers["Retry-After"] == "2"


async def test_fault_revoked(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    sandbox.set_fault("revoked")
    for path in ("/customers/42", "/me"):
        resp = await client.get(path)
        assert resp.status_code == 401 and error_of(resp)["code"] == "api_key_revoked"
    assert (await client.get("/health")).status_code == 200


async def test_fault_slow(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    sandbox.set_fault("slow", seconds=0.05)
    started = time.perf_counter()
    assert (await client.get("/customers/42")).status_code == 200
    assert time.perf_counter() - started >= 0.045


async def test_fault_count_clears_itself(
    sandbox: SandboxPivotal, client: httpx.AsyncClient
) -> None:
    sandbox.set_fault("error_500", count=2)
    assert (await client.get("/me")).status_code == 200  # not a customer request: not consumed
    codes = [(await client.get("/customers/42")).status_code for _ in range(3)]
    assert codes == [500, 500, 200] and sandbox.fault is None


async def test_fault_paths_all(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    sandbox.set_fault("error_500", paths="all")
    assert (await client.get("/me")).status_code == 500
    assert (await client.get("/health")).status_code == 200
    sandbox.set_fault(None)
    assert (await client.get("/me")).status_code == 200


def test_set_fault_validates() -> None:
    sb = SandboxPivotal(customers=[])
    assert {"hang", "error_500", "malformed_json", "bad_schema"} < FAULT_MODES
    with pytest.raises(ValueError, match="unknown fault mode"):
        sb.set_fault("explode")
    with pytest.raises(ValueError):
        sb.set_fault("hang", paths="me")
    with pytest.raises(ValueError):
        sb.set_fault("hang", count=0)
    with pytest.raises(ValueError):
        sb.set_fault("slow", seconds="soon")


async def test_http_control_endpoints(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    async with api_client(sandbox.root_url, headers={}) as ctl:
        resp = await ctl.post("/_sandbox/fault", json={"mode": "error_500", "count": 1})
        assert resp.json() == {
            "ok": True,
            "fault": {"mode": "error_500", "remaining": 1, "paths": "customers"},
        }
        assert (await client.get("/customers/42")).status_code == 500
        assert (await client.get("/customers/42")).status_code == 200
        await ctl.post("/_sandbox/fault", json={"mode": "rate_limited", "retry_after": 3})
        assert (await client.get("/customers/42")).headers["Retry-After"] == "3"
        await ctl.post("/_sandbox/fault", json={"mode": "hang"})
        with pytest.raises(httpx.TimeoutException):
            await client.get("/customers/42", timeout=0.2)
        assert (await ctl.post("/_sandbox/reset")).json() == {"ok": True}
        assert (await client.get("/customers/42")).status_code == 200
        bad = await ctl.post("/_sandbox/fault", json={"mode": "explode"})
        assert bad.status_code == 400 and error_of(bad)["type"] == "invalid_request_error"
        assert (await ctl.post("/_sandbox/fault", content=b"[1]")).status_code == 400
        stats = (await ctl.get("/_sandbox/stats")).json()
        assert stats["customer_gets"] == sandbox.customer_gets() == 5
        assert stats["requests"] == len(sandbox.requests)  # control calls are not logged


# ---- request log and mutations ---------------------------------------------------------
async def test_request_log(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    await client.get("/customers", params={"limit": 5, "status": "active"})
    await client.get("/customers/42")
    await client.get("/customers/999")
    assert sandbox.list_calls() == 1 and sandbox.customer_gets() == 2
    first = sandbox.requests[0]
    assert (first.method, first.path) == ("GET", "/api/v1/customers")
    assert first.query == "limit=5&status=active" and first.status == 200
    assert first.authorized and first.key_prefix == KEY[:12]
    assert sandbox.requests[-1].status == 404
    assert all("authorization" not in {h.lower() for h in r.headers} for r in sandbox.requests)
    assert KEY not in repr(sandbox.requests)
    sandbox.clear_requests()
    assert sandbox.requests == [] and sandbox.customer_gets() == 0


async def test_delete_and_upsert(sandbox: SandboxPivotal, client: httpx.AsyncClient) -> None:
    assert sandbox.delete(42) is True and sandbox.delete(42) is False
    assert (await client.get("/customers/42")).status_code == 404
    assert (await client.get(f"/customers/{ACME_ID}")).status_code == 404
    listed = (await client.get("/customers", params={"limit": 100})).json()["data"]
    assert 42 not in {c["display_id"] for c in listed}
    assert len(sandbox.customers) == len(sample_customers()) - 1

    acme = copy.deepcopy(next(c for c in sample_customers() if c["display_id"] == 42))
    acme["name"] = "Acme Renamed"
    sandbox.upsert(acme)  # upsert also un-deletes
    assert (await client.get("/customers/42")).json()["name"] == "Acme Renamed"

    newest = dict(acme, id="c" + "z" * 24, display_id=71, slug="newco", name="NewCo")
    newest["created_at"] = "2030-01-01T00:00:00.000Z"
    sandbox.upsert(newest)
    first = (await client.get("/customers", params={"limit": 1})).json()["data"][0]
    assert first["display_id"] == 71


async def test_large_dataset_walk() -> None:
    data = generate_customers(2000, seed=3)
    async with SandboxPivotal(data) as sb, api_client(sb.base_url) as c:
        ids: list[str] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            body = (await c.get("/customers", params=params)).json()
            ids.extend(x["id"] for x in body["data"])
            if not body["has_more"]:
                break
            params["cursor"] = body["next_cursor"]
        assert ids == [x["id"] for x in data]
        assert (await c.get("/customers/1999")).json()["display_id"] == 1999


def test_serve_prints_url_and_key() -> None:
    code = "from bot.sandbox.pivotal.server import serve; serve(port=0)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # serve() must flush
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    ) as proc:  # fmt: skip
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+/api/v1)", line)
            assert match and KEY in line, line
            resp = httpx.get(match.group(1) + "/customers/42", headers=AUTH, verify=TLS)
            assert resp.json()["display_id"] == 42
        finally:
            proc.send_signal(signal.SIGINT)  # Ctrl-C
            _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


async def test_the_same_controls_serve_benchmarks_with_the_fake_slack() -> None:
    from aiohttp import web

    from bot.sandbox.pivotal.control import Controls
    from bot.sandbox.pivotal.data import generate_customers
    from bot.sandbox.serving import serve_app
    from bot.sandbox.slack.server import FakeSlack

    everyone = generate_customers(12, seed=1)
    pivotal, slack = SandboxPivotal(everyone[:10]), FakeSlack()
    await pivotal.start()
    await slack.start()
    app = web.Application()
    Controls(pivotal, slack, everyone[10:]).add_routes(app)
    runner, root = await serve_app(app, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=root) as ctl:
            assert (await ctl.post("/_sandbox/reveal", json={"count": 1})).json() == {
                "display_ids": [everyone[10]["display_id"]]
            }
            assert len(pivotal.customers) == 11
            stats = (await ctl.get("/_sandbox/stats")).json()
            assert stats["responses"] == 0 and stats["requests"] == 0
            posts = (await ctl.get("/_sandbox/responses", params={"after": 0})).json()
            assert posts == {"posts": [], "next": 0}
    finally:
        await runner.cleanup()
        await slack.stop()
        await pivotal.stop()
