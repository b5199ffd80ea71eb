"""POST /pivotal/webhooks: read within a size bound, verify, record durably, answer, apply."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any

from bot.logs import event
from bot.lookup.durable import StoreUnavailable
from bot.pivotal.webhooks import (
    MAX_BODY_BYTES,
    WebhookRejected,
    parse_event,
    verify,
)
from bot.webhooks.hooks import Hooks

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WEBHOOKS_PATH = "/pivotal/webhooks"
RECORD_TIMEOUT_SECONDS = 1.0  # past this, 503: Pivotal delivers again, nothing is lost


class BodyTooLarge(Exception):
    """The body is over the limit: answered 413 without reading the rest."""


class WebhookReceiver:
    """The ASGI side of Pivotal's webhooks: 2xx only once the delivery is committed."""

    def __init__(
        self,
        hooks: Hooks,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        *,
        max_body: int = MAX_BODY_BYTES,
        record_timeout: float = RECORD_TIMEOUT_SECONDS,
    ):
        self._hooks = hooks
        self._spawn = spawn
        self._max_body = max_body
        self._record_timeout = record_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers") or []}
        try:
            body = await _read_body(receive, headers, self._max_body)
        except BodyTooLarge:
            _refused(413, "too_large")
            await respond(send, 413, {"error": f"body over {self._max_body} bytes"})
            return
        try:
            delivery = verify(body, headers, self._hooks.verifiers)
            hook = parse_event(body)
        except WebhookRejected as exc:
            _refused(exc.status, type(exc).__name__)
            await respond(send, exc.status, {"error": str(exc)})
            return
        self._hooks.feed.heard()
        try:
            entry = await asyncio.wait_for(self._hooks.record(hook, body), self._record_timeout)
        except (StoreUnavailable, TimeoutError) as exc:
            event(log, "pivotal.webhook.unrecorded", logging.ERROR, event_id=hook.id,
                  error=type(exc).__name__)  # fmt: skip
            await respond(send, 503, {"error": "could not record the delivery; send it again"})
            return
        if entry is None:
            event(log, "pivotal.webhook.duplicate", event_id=hook.id, delivery=delivery.message_id)
            await respond(send, 200, {"status": "duplicate"})
            return
        event(log, "pivotal.webhook.received", type=getattr(hook, "type", "webhook.ping"),
              event_id=hook.id, delivery=delivery.message_id)  # fmt: skip
        await respond(send, 202, {"status": "accepted"})
        self._spawn(self._hooks.finish(entry, hook))


async def _read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    """The request body, read chunk by chunk; BodyTooLarge as soon as it passes `limit`."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _refused(status: int, reason: str) -> None:
    event(log, "pivotal.webhook.refused", logging.WARNING, status=status, reason=reason)


async def respond(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
