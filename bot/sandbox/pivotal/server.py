"""A local fake of the Pivotal REST API (``/api/v1``) for tests, benchmarks and demos.

Shapes follow tests/reference/pivotal-api.md (envelopes, errors, auth, rate limits, paging).
Everything runs on loopback; runtime knobs (``latency``, faults, revoked keys) can be changed
while serving, from Python or over HTTP (``POST /_sandbox/fault``, ``POST /_sandbox/reset``,
``GET /_sandbox/stats``). What it holds is ``state.py``; route handlers live in
``endpoints.py`` (contacts and onboardings: ``related_endpoints.py``), the controls in
``control.py``, helpers in ``store.py``, ``faults.py`` and ``ratelimit.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import time
from collections.abc import Callable

from aiohttp import web

from bot.pivotal.webhooks import parse_secrets
from bot.sandbox.pivotal.control import PREFIX as CONTROL_PREFIX
from bot.sandbox.pivotal.control import Controls
from bot.sandbox.pivotal.endpoints import Endpoints, Handler, call_route
from bot.sandbox.pivotal.faults import error_response
from bot.sandbox.pivotal.related import RelatedStore
from bot.sandbox.pivotal.related_endpoints import RelatedEndpoints
from bot.sandbox.pivotal.state import API_PREFIX, CUSTOMERS, RecordedRequest, SandboxState
from bot.sandbox.serving import serve_app


class SandboxPivotal(SandboxState):
    """Sample Pivotal API server.

    customers: initial data (default ``sample_customers()``), copied; newest first on the wire.
    api_keys: accepted Bearer keys; keys starting ``pivotal_test_`` report ``livemode: false``.
    rate_limit / window: sliding-window limit per key (requests per ``window`` seconds).
    latency: seconds slept before answering every request (mutable at runtime).
    clock: monotonic clock for the rate-limit window (inject a fake in tests).
    """

    # Set while serving (start() to stop()).
    _runner: web.AppRunner | None = None
    _base_url: str | None = None

    @functools.cached_property
    def related(self) -> RelatedStore:
        """The customers' contacts and onboardings (drawn when first asked for), and edits."""
        return RelatedStore(self.store)

    # ---- request pipeline: record → latency → rate limit → auth → fault → route ----------
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        api = Endpoints(self)
        app.router.add_get(API_PREFIX + "/health", api.health)
        app.router.add_get(API_PREFIX + "/me", api.me)
        app.router.add_get(CUSTOMERS, api.customers)
        app.router.add_get(CUSTOMERS + "/{id}", api.customer)
        app.router.add_patch(CUSTOMERS + "/{id}", api.patch)
        RelatedEndpoints(self, self.related).add_routes(app)
        Controls(self).add_routes(app)
        return app

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
        if request.method in ("PATCH", "POST"):
            rec.body = await request.read()
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
