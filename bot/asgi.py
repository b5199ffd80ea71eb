"""ASGI entry: Bolt at /slack/events, /pivotal/webhooks, /healthz, /readyz, /metrics."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp

from bot import metrics
from bot.app import Deps
from bot.readings import read
from bot.webhooks.receiver import WEBHOOKS_PATH, Receive, Scope, Send, WebhookReceiver

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
_TIMESTAMP = re.compile(rb"[0-9]{1,12}")


class BotASGI:
    """Routes three paths and owns the start-up and shutdown of the dependencies."""

    def __init__(self, app: AsyncApp, deps: Deps, *, slack_http: bool = True):
        self._deps = deps
        # Under Socket Mode the server runs for webhooks and health only.
        self._slack = AsyncSlackRequestHandler(app, path=EVENTS_PATH) if slack_http else None
        self._verifying = deps.settings.slack_signing_secret is not None
        hooks = deps.hooks
        self._webhooks = WebhookReceiver(hooks, deps.inflight.spawn) if hooks else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/healthz" and method in ("GET", "HEAD"):
            await _json(send, 200, {"status": "ok"})
        elif path == "/readyz" and method in ("GET", "HEAD"):
            await self._ready(send)
        elif path == "/metrics" and method in ("GET", "HEAD"):
            page = metrics.exposition(await read(self._deps))
            await _body(send, 200, metrics.CONTENT_TYPE, page)
        elif path == EVENTS_PATH and method == "POST" and self._slack is not None:
            if self._verifying and not _plausibly_signed(scope):
                # Refused before Bolt: its verifier raises on a non-numeric timestamp.
                await _json(send, 401, {"error": "invalid signature"})
                return
            await self._slack(scope, receive, send)
        elif path == WEBHOOKS_PATH and method == "POST" and self._webhooks is not None:
            await self._webhooks(scope, receive, send)
        else:
            await _json(send, 404, {"error": "not found"})

    async def _ready(self, send: Send) -> None:
        directory = self._deps.directory
        walk = directory.last_walk
        body = {
            "ready": directory.ready,
            "customers": len(directory),
            "last_walk_seconds": round(walk.seconds, 2) if walk else None,
            "last_error": type(directory.last_error).__name__ if directory.last_error else None,
        }
        await _json(send, 200 if directory.ready else 503, body)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._deps.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._deps.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _plausibly_signed(scope: Scope) -> bool:
    headers = dict(scope.get("headers") or [])
    timestamp = headers.get(b"x-slack-request-timestamp", b"")
    signature = headers.get(b"x-slack-signature", b"")
    return bool(_TIMESTAMP.fullmatch(timestamp) and signature.startswith(b"v0="))


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    await _body(send, status, "application/json", json.dumps(body).encode())


async def _body(send: Send, status: int, content_type: str, payload: bytes) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
