"""POST /pivotal/webhooks: read within a size bound, verify, dedupe, answer, then apply."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any

from bot.logs import event
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


class BodyTooLarge(Exception):
    """The body is over the limit: answered 413 without reading the rest."""


class WebhookReceiver:
    """The ASGI side of Pivotal's webhooks; the work itself runs after the 2xx."""

    def __init__(
        self,
        hooks: Hooks,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        *,
        max_body: int = MAX_BODY_BYTES,
    ):
        self._hooks = hooks
        self._spawn = spawn
        self._max_body = max_body

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
        if not await self._hooks.seen.first_time(hook.id):
            event(log, "pivotal.webhook.duplicate", event_id=hook.id, delivery=delivery.message_id)
            await respond(send, 200, {"status": "duplicate"})
            return
        event(log, "pivotal.webhook.received", type=getattr(hook, "type", "webhook.ping"),
              event_id=hook.id, delivery=delivery.message_id)  # fmt: skip
        await respond(send, 202, {"status": "accepted"})
        self._spawn(self._hooks.handle(hook))


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
