"""Plays Pivotal's webhook sender (Svix): signed event envelopes POSTed to a URL."""

from __future__ import annotations

import base64
import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from bot.sandbox.pivotal.formats import format_timestamp

SANDBOX_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"pivotal-sandbox-webhook-key-01").decode()


def new_secret() -> str:
    """A fresh `whsec_…` secret, as Pivotal shows once when an endpoint is created."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def envelope(
    kind: str,
    obj: dict[str, Any] | None = None,
    *,
    previous: dict[str, Any] | None = None,
    event_id: str | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """One event as Pivotal's developer docs show it."""
    body: dict[str, Any] = {
        "id": event_id or "evt_" + secrets.token_hex(10),
        "type": kind,
        "created_at": format_timestamp(created_at or datetime.now(UTC)),
        "org_id": "org_sandbox",
        "livemode": False,
        "api_version": "v1",
    }
    if obj is not None:
        body["data"] = {"object": obj, "previous_attributes": previous}
    return body


def sign(
    body: bytes, secret: str, *, message_id: str, at: datetime | None = None
) -> dict[str, str]:
    """The svix-* headers for `body`, signed with the standardwebhooks library."""
    when = at or datetime.now(UTC)
    return {
        "svix-id": message_id,
        "svix-timestamp": str(int(when.timestamp())),
        "svix-signature": Webhook(secret).sign(message_id, when, body.decode()),
        "content-type": "application/json",
    }


@dataclass
class WebhookSender:
    """POSTs signed deliveries to one endpoint and keeps what it sent and got back."""

    url: str
    secret: str
    http: httpx.AsyncClient
    sent: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def deliver(self, event: dict[str, Any], **headers: str) -> httpx.Response:
        """Send `event` once (a redelivery is just another call with the same event)."""
        body = json.dumps(event).encode()
        signed = sign(body, self.secret, message_id=f"msg_sandbox{next(self._ids):06d}")
        signed.update(headers)
        response = await self.http.post(self.url, content=body, headers=signed)
        self.sent.append((event, response.status_code))
        return response

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """Send exactly `body` and `headers` (for forged or broken deliveries)."""
        return await self.http.post(self.url, content=body, headers=headers)

    def next_message_id(self) -> str:
        return f"msg_sandbox{next(self._ids):06d}"
