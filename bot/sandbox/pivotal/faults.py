"""Fault injection and error envelopes for the sandbox Pivotal API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["FAULT_MODES", "Fault", "FaultInjector", "error_response"]

FAULT_MODES = frozenset(
    {"hang", "error_500", "malformed_json", "bad_schema", "rate_limited", "revoked", "slow"}
)
_API = "/api/v1"
_CUSTOMERS = _API + "/customers"


def error_response(
    status: int, type_: str, code: str, message: str, field_: str | None = None
) -> web.Response:
    """Pivotal error envelope ``{"error": {"type", "code", "message", "field"?}}``."""
    err: dict[str, Any] = {"type": type_, "code": code, "message": message}
    if field_ is not None:
        err["field"] = field_
    return web.json_response({"error": err}, status=status)


@dataclass
class Fault:
    """An injected failure; ``remaining`` = requests left before it clears (None = forever)."""

    mode: str
    remaining: int | None = None
    paths: str = "customers"  # "customers" or "all" (every authenticated /api/v1 path)
    opts: dict[str, Any] = field(default_factory=dict)


class FaultInjector:
    """Holds the current fault and the event hung requests wait on."""

    def __init__(self) -> None:
        self.fault: Fault | None = None
        self._release = asyncio.Event()

    def set(self, mode: str | None, count: int | None, paths: str, opts: dict[str, Any]) -> None:
        if mode is None:
            self.clear()
            return
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; expected one of {sorted(FAULT_MODES)}")
        if paths not in ("customers", "all"):
            raise ValueError("paths must be 'customers' or 'all'")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer")
        opts = dict(opts)
        if mode == "slow":
            opts["seconds"] = float(opts.get("seconds", 1.0))
        if mode == "rate_limited":
            opts["retry_after"] = max(int(opts.get("retry_after", 7)), 1)
        self.fault = Fault(mode, count, paths, opts)

    def clear(self) -> None:
        """Drop the fault and let hung requests continue."""
        self.fault = None
        self.release_hung()

    def release_hung(self) -> None:
        self._release.set()
        self._release = asyncio.Event()

    def take(self, path: str) -> Fault | None:
        """The fault that applies to this request (consuming one use of a counted fault)."""
        f = self.fault
        if f is None:
            return None
        on_customers = path == _CUSTOMERS or path.startswith(_CUSTOMERS + "/")
        me_revoked = f.mode == "revoked" and path == _API + "/me"
        if not (f.paths == "all" or on_customers or me_revoked):
            return None
        if f.opts.get("path") not in (None, path):  # a fault for one path only
            return None
        if f.remaining is not None:
            f.remaining -= 1
            if f.remaining <= 0:
                self.fault = None
        return f

    async def apply(self, f: Fault, path: str) -> web.Response | None:
        """Answer for fault ``f``, or None to continue normally (after hang/slow delays)."""
        if f.mode == "hang":
            await self._release.wait()  # set by clear() / release_hung() (reset, stop)
        elif f.mode == "slow":
            await asyncio.sleep(f.opts["seconds"])
        elif f.mode == "error_500":
            return error_response(500, "internal_error", "internal_error", "Something went wrong.")
        elif f.mode == "revoked":
            return error_response(401, "authentication_error", "api_key_revoked", "Key revoked.")
        elif f.mode == "rate_limited":
            n = f.opts["retry_after"]
            msg = f"Rate limit exceeded. Retry after {n} seconds."
            resp = error_response(429, "rate_limit_error", "rate_limited", msg)
            resp.headers.update({"Retry-After": str(n), "X-RateLimit-Remaining": "0"})
            return resp
        elif f.mode == "malformed_json":
            body = '{"object":"customer", "id": '
            return web.Response(status=200, text=body, content_type="application/json")
        elif f.mode == "bad_schema":
            bad = {"object": "customer", "id": "cbadschema", "display_id": "abc", "name": None}
            if path == _CUSTOMERS:
                envelope = {"object": "list", "data": [bad], "has_more": False, "next_cursor": None}
                return web.json_response(envelope)
            return web.json_response(bad)
        return None
