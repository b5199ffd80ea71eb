"""The sandbox's one control API, ``/_sandbox/*``, shared by tests, the demo and benchmarks.

``POST /_sandbox/fault`` and ``/_sandbox/reset`` steer the sample Pivotal, ``GET
/_sandbox/stats`` counts what reached it. Given the fake Slack, ``GET /_sandbox/responses``
lists response_url posts; given customers held back, ``POST /_sandbox/reveal`` creates
them now (after the bot's first walk). The sandbox Pivotal serves these beside its API;
benchmarks serve the same routes on a port of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from aiohttp import web

from bot.sandbox.pivotal.faults import error_response
from bot.sandbox.pivotal.state import SandboxState

PREFIX = "/_sandbox/"


class ResponsePost(Protocol):
    """One POST the fake Slack received at a response_url."""

    @property
    def token(self) -> str: ...
    @property
    def body(self) -> dict[str, Any]: ...
    @property
    def at(self) -> float: ...


class ResponseSink(Protocol):
    """The fake Slack as the controls read it: its response_url posts, oldest first."""

    @property
    def responses(self) -> Sequence[ResponsePost]: ...


class Controls:
    """Control endpoints for one sandbox Pivotal (and optionally the fake Slack)."""

    def __init__(
        self,
        pivotal: SandboxState,
        slack: ResponseSink | None = None,
        held_back: list[dict[str, Any]] | None = None,
    ):
        self.pivotal = pivotal
        self.slack = slack
        self.held_back = list(held_back or [])

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(PREFIX + "fault", self.fault)
        app.router.add_post(PREFIX + "reset", self.reset)
        app.router.add_get(PREFIX + "stats", self.stats)
        if self.slack is not None:
            app.router.add_get(PREFIX + "responses", self.responses)
        if self.held_back:
            app.router.add_post(PREFIX + "reveal", self.reveal)

    async def fault(self, request: web.Request) -> web.Response:
        """Body ``{"mode": str|null, "count"?: int, "paths"?: str, ...opts}``."""
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            opts = {k: v for k, v in body.items() if k not in ("mode", "count", "paths")}
            paths = body.get("paths", "customers")
            self.pivotal.set_fault(body.get("mode"), count=body.get("count"), paths=paths, **opts)
        except (ValueError, TypeError) as exc:
            return error_response(400, "invalid_request_error", "invalid_fault", str(exc))
        f = self.pivotal.fault
        state = None if f is None else {"mode": f.mode, "remaining": f.remaining, "paths": f.paths}
        return web.json_response({"ok": True, "fault": state})

    async def reset(self, request: web.Request) -> web.Response:
        self.pivotal.reset()
        return web.json_response({"ok": True})

    async def stats(self, request: web.Request) -> web.Response:
        pivotal = self.pivotal
        statuses: dict[str, int] = {}
        for rec in pivotal.requests:
            statuses[str(rec.status)] = statuses.get(str(rec.status), 0) + 1
        stats: dict[str, Any] = {
            "requests": len(pivotal.requests),
            "customer_gets": pivotal.customer_gets(),
            "list_calls": pivotal.list_calls(),
            "statuses": statuses,
        }
        if self.slack is not None:
            stats["responses"] = len(self.slack.responses)
        return web.json_response(stats)

    async def responses(self, request: web.Request) -> web.Response:
        assert self.slack is not None  # routed only with a fake Slack
        after = int(request.query.get("after", "0"))
        posts = self.slack.responses[after:]
        body = [{"token": p.token, "at": p.at, "body": p.body} for p in posts]
        return web.json_response({"posts": body, "next": after + len(posts)})

    async def reveal(self, request: web.Request) -> web.Response:
        count = int((await request.json()).get("count", 0))
        shown, self.held_back = self.held_back[:count], self.held_back[count:]
        for customer in shown:
            self.pivotal.upsert(customer)
        return web.json_response({"display_ids": [c["display_id"] for c in shown]})
