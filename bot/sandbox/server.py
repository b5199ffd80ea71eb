"""A local fake of the Pivotal REST API (``/api/v1``) for tests, benchmarks and demos.

Shapes follow tests/reference/pivotal-api.md (envelopes, errors, auth, rate limits, paging).
Everything runs on loopback; runtime knobs (``latency``, faults, revoked keys) can be changed
while serving, from Python or over HTTP (``POST /_sandbox/fault``, ``POST /_sandbox/reset``,
``GET /_sandbox/stats``). Route handlers live in ``endpoints.py``, helpers in ``store.py``,
``faults.py`` and ``ratelimit.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.pivotal.webhooks import parse_secrets
from bot.sandbox.control import PREFIX as CONTROL_PREFIX
from bot.sandbox.control import Controls
from bot.sandbox.data import sample_customers
from bot.sandbox.edits import WebhookTarget
from bot.sandbox.endpoints import Endpoints, Handler, call_route
from bot.sandbox.faults import FAULT_MODES, Fault, FaultInjector, error_response
from bot.sandbox.ratelimit import SlidingWindowLimiter
from bot.sandbox.serving import serve_app
from bot.sandbox.store import CustomerStore

__all__ = ["API_PREFIX", "FAULT_MODES", "Fault", "RecordedRequest", "SandboxPivotal", "serve"]

API_PREFIX = "/api/v1"
_CUSTOMERS = API_PREFIX + "/customers"
_BEARER = re.compile(r"bearer ([^\s]+)", re.IGNORECASE)


@dataclass
class RecordedRequest:
    """One request seen by the sandbox. The API key itself is never stored."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # without Authorization
    authorized: bool  # a known, non-revoked key was presented
    key_prefix: str | None  # first 12 chars of the presented key (safe to log)
    at: float  # time.monotonic() on arrival
    status: int = 0  # HTTP status once answered (0 while pending / hung)


class SandboxPivotal:
    """Sample Pivotal API server.

    customers: initial data (default ``sample_customers()``), copied; newest first on the wire.
    api_keys: accepted Bearer keys; keys starting ``pivotal_test_`` report ``livemode: false``.
    rate_limit / window: sliding-window limit per key (requests per ``window`` seconds).
    latency: seconds slept before answering every request (mutable at runtime).
    clock: monotonic clock for the rate-limit window (inject a fake in tests).
    """

    def __init__(
        self,
        customers: list[dict[str, Any]] | None = None,
        *,
        api_keys: Iterable[str] = ("pivotal_test_sandbox",),
        rate_limit: int = 600,
        latency: float = 0.0,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_keys: list[str] = list(api_keys)
        self.revoked: set[str] = set()
        self.limiter = SlidingWindowLimiter(rate_limit, window, clock)
        self.latency = latency
        self.faults = FaultInjector()
        self.store = CustomerStore(sample_customers() if customers is None else customers)
        # Where PATCHed customers are announced (a bot's /pivotal/webhooks), if anywhere.
        self.webhooks: WebhookTarget | None = None
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # ---- data, keys, faults, log --------------------------------------------------------
    @property
    def customers(self) -> list[dict[str, Any]]:
        """Visible (not deleted) customers, newest first."""
        return self.store.all()

    def upsert(self, customer: dict[str, Any]) -> None:
        """Insert or replace a customer (matched on ``id``, else ``display_id``)."""
        self.store.upsert(customer)

    def delete(self, display_id: int) -> bool:
        """Soft delete: GET 404s and lists skip it afterwards. False if not found."""
        return self.store.delete(display_id)

    def revoke_key(self, key: str) -> None:
        self.revoked.add(key)

    def restore_key(self, key: str) -> None:
        self.revoked.discard(key)

    @property
    def fault(self) -> Fault | None:
        return self.faults.fault

    def set_fault(
        self, mode: str | None, *, count: int | None = None, paths: str = "customers", **opts: Any
    ) -> None:
        """Inject ``mode`` (one of ``FAULT_MODES``) or clear it with None (also un-hangs).

        count: only the next N matching requests, then it clears itself (None = until cleared).
        paths: "customers" (/customers endpoints; plus /me for "revoked") or "all".
        opts: ``retry_after`` (rate_limited, default 7), ``seconds`` (slow, default 1.0).
        """
        self.faults.set(mode, count, paths, opts)

    def reset(self) -> None:
        """Clear faults, release hung requests, restore revoked keys, empty rate-limit windows.
        Leaves data, ``latency`` and the request log alone."""
        self.faults.clear()
        self.revoked.clear()
        self.limiter.reset()

    def clear_requests(self) -> None:
        self.requests.clear()

    def customer_gets(self) -> int:
        """Number of ``GET /customers/{id}`` requests recorded."""
        prefix = _CUSTOMERS + "/"
        return sum(1 for r in self.requests if r.method == "GET" and r.path.startswith(prefix))

    def list_calls(self) -> int:
        """Number of ``GET /customers`` (list) requests recorded."""
        return sum(1 for r in self.requests if r.method == "GET" and r.path == _CUSTOMERS)

    # ---- request pipeline: record → latency → rate limit → auth → fault → route ----------
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        api = Endpoints(self)
        app.router.add_get(API_PREFIX + "/health", api.health)
        app.router.add_get(API_PREFIX + "/me", api.me)
        app.router.add_get(_CUSTOMERS, api.customers)
        app.router.add_get(_CUSTOMERS + "/{id}", api.customer)
        app.router.add_patch(_CUSTOMERS + "/{id}", api.patch)
        Controls(self).add_routes(app)
        return app

    def key_state(self, request: web.Request) -> tuple[str | None, bool, bool]:
        """(presented key, accepted, revoked)."""
        m = _BEARER.fullmatch(request.headers.get("Authorization", "").strip())
        key = m.group(1) if m else None
        known = key is not None and key in self.api_keys
        return key, known and key not in self.revoked, known and key in self.revoked

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await call_route(request, handler)
        key, ok, revoked = self.key_state(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        rec = RecordedRequest(
            request.method, request.path, request.query_string, headers, ok,
            key[:12] if key else None, time.monotonic(),
        )  # fmt: skip
        self.requests.append(rec)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        resp = await self._answer(request, handler, key, ok, revoked)
        rec.status = resp.status
        return resp

    async def _answer(
        self, request: web.Request, handler: Handler, key: str | None, ok: bool, revoked: bool
    ) -> web.StreamResponse:
        path = request.path
        if path == API_PREFIX + "/health" or not path.startswith(API_PREFIX + "/"):
            return await call_route(request, handler)  # unauthenticated, not rate limited
        decision = self.limiter.hit(key or "")  # per presented key; "" = no key
        resp: web.StreamResponse
        if not decision.allowed:
            msg = f"Rate limit exceeded. Retry after {decision.retry_after} seconds."
            resp = error_response(429, "rate_limit_error", "rate_limited", msg)
        elif revoked:
            resp = error_response(401, "authentication_error", "api_key_revoked", "Key revoked.")
        elif not ok:
            msg = "Missing or invalid API key. Send 'Authorization: Bearer <key>'."
            resp = error_response(401, "authentication_error", "invalid_api_key", msg)
        else:
            fault = self.faults.take(path)
            faulted = await self.faults.apply(fault, path) if fault else None
            resp = faulted if faulted is not None else await call_route(request, handler)
        for name, value in decision.headers().items():
            resp.headers.setdefault(name, value)
        return resp

    # ---- webhooks -----------------------------------------------------------------------
    def deliver_to(self, url: str, secret: str) -> WebhookTarget:
        """Send a signed ``customer.updated`` to ``url`` after every PATCH, like Pivotal."""
        self.webhooks = WebhookTarget(url, secret)
        return self.webhooks

    # ---- lifecycle ----------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = ephemeral); returns e.g. ``http://127.0.0.1:5432/api/v1``."""
        if self._runner is not None:
            raise RuntimeError("sandbox already started")
        self.faults.release_hung()  # fresh event for this event loop
        self._runner, root = await serve_app(self.make_app(), host, port)
        self._base_url = f"{root}{API_PREFIX}"
        return self._base_url

    @property
    def base_url(self) -> str:
        """``http://host:port/api/v1`` (RuntimeError before ``start()``)."""
        if self._base_url is None:
            raise RuntimeError("sandbox not started")
        return self._base_url

    @property
    def root_url(self) -> str:
        """``http://host:port``, where the ``/_sandbox/...`` control endpoints live."""
        return self.base_url.removesuffix(API_PREFIX)

    async def stop(self) -> None:
        """Release hung requests and shut down (idempotent)."""
        self.faults.release_hung()
        runner, self._runner, self._base_url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> SandboxPivotal:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def serve(
    host: str = "127.0.0.1",
    port: int = 8787,
    *,
    sandbox: SandboxPivotal | None = None,
    print_fn: Callable[[str], object] | None = None,
) -> None:
    """Blocking: print one line with the API URL and key, then serve until Ctrl-C."""
    sb = sandbox or SandboxPivotal()

    async def main() -> None:
        url = await sb.start(host, port)
        key = sb.api_keys[0] if sb.api_keys else "(none)"
        line = f"Pivotal sandbox API at {url}  key: {key}  (Ctrl-C to stop)"
        if print_fn is None:
            print(line, flush=True)
        else:
            print_fn(line)
        try:
            await asyncio.Event().wait()
        finally:
            await sb.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def serve_with_webhooks(host: str, port: int, url: str | None, secret: str | None) -> int:
    """`pivotal-bot sandbox`: PATCHes are delivered as signed webhooks when both are given."""
    sb = SandboxPivotal()
    if bool(url) != bool(secret):
        print("--webhook-url and --webhook-secret go together", file=sys.stderr)
        return 2
    if url and secret:
        try:
            parse_secrets(secret)
        except ValueError as exc:
            print(f"--webhook-secret: {exc}", file=sys.stderr)
            return 2
        sb.deliver_to(url, secret.split()[0])
        print(f"PATCH /api/v1/customers/{{id}} sends customer.updated to {url}", flush=True)
    try:
        serve(host, port, sandbox=sb)
    except OSError as exc:  # the port is taken (or the host is not this machine's)
        reason = exc.strerror or type(exc).__name__
        print(f"The sandbox cannot listen on {host}:{port}: {reason}. "
              "Choose another with --port.", file=sys.stderr)  # fmt: skip
        return 1
    return 0
