"""The sandbox Pivotal's ``/api/v1`` route handlers: health, me, customers list, get and PATCH."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from bot.sandbox.pivotal.edits import patch_customer
from bot.sandbox.pivotal.faults import error_response
from bot.sandbox.pivotal.formats import format_timestamp
from bot.sandbox.pivotal.state import SandboxState
from bot.sandbox.pivotal.store import parse_cursor

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_INT = re.compile(r"[+-]?[0-9]+")
_INVALID = "invalid_request_error"


async def call_route(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run the route handler, turning router 404/405s into Pivotal error envelopes."""
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed as exc:
        msg = f"Method {request.method} not allowed on {request.path}."
        resp = error_response(405, _INVALID, "method_not_allowed", msg)
        resp.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return resp
    except web.HTTPNotFound:
        return error_response(404, "not_found", "not_found", f"No route {request.path}.")


class Endpoints:
    """The API's handlers for one sandbox Pivotal (its store, keys and webhook target)."""

    def __init__(self, pivotal: SandboxState):
        self.pivotal = pivotal

    async def health(self, request: web.Request) -> web.Response:
        now = format_timestamp(datetime.now(UTC))
        return web.json_response({"status": "ok", "timestamp": now, "version": "v1"})

    async def me(self, request: web.Request) -> web.Response:
        key = self.pivotal.key_state(request)[0] or ""
        api_key = {
            "id": "api_" + hashlib.sha256(key.encode()).hexdigest()[:16],
            "name": "sandbox",
            "prefix": key[:12],
            "scopes": ["read:customers", "read:contacts", "read:onboardings"],
            "rate_limit_tier": "standard",
        }
        org = {"id": "org_sandbox", "slug": "sandbox", "name": "Sandbox Workspace"}
        livemode = not key.startswith("pivotal_test_")
        body = {"object": "me", "api_key": api_key, "organization": org, "livemode": livemode}
        return web.json_response(body)

    async def customers(self, request: web.Request) -> web.Response:
        q = request.query
        raw_limit = q.get("limit", "20")
        if not _INT.fullmatch(raw_limit):
            return error_response(400, _INVALID, "invalid_type", "Expected number.", "limit")
        limit = int(raw_limit)
        if not 1 <= limit <= 100:
            code, bound = ("too_small", ">= 1") if limit < 1 else ("too_big", "<= 100")
            return error_response(400, _INVALID, code, f"limit must be {bound}.", "limit")
        before: int | None = None
        if "cursor" in q:
            try:
                before = parse_cursor(q["cursor"])
            except ValueError:
                msg = "Invalid datetime for cursor."
                return error_response(400, _INVALID, "invalid_string", msg, "cursor")
        page, has_more = self.pivotal.store.page(limit, before, q.get("status") or None)
        next_cursor = page[-1]["created_at"] if has_more else None
        body = {"object": "list", "data": page, "has_more": has_more, "next_cursor": next_cursor}
        return web.json_response(body)

    async def customer(self, request: web.Request) -> web.Response:
        ident = request.match_info["id"]
        found = self.pivotal.store.get(ident)
        if found is None:
            msg = f"No such customer: '{ident}'"
            return error_response(404, "not_found", "customer_not_found", msg)
        return web.json_response(found)

    async def patch(self, request: web.Request) -> web.Response:
        return await patch_customer(request, self.pivotal.store, self.pivotal.webhooks)
