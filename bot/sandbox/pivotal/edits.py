"""PATCH /api/v1/customers/{id} on the sandbox, and the signed webhook it sends after."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from aiohttp import web

from bot.sandbox.pivotal.deliveries import WebhookSender, envelope
from bot.sandbox.pivotal.faults import error_response
from bot.sandbox.pivotal.formats import format_timestamp
from bot.sandbox.pivotal.store import CustomerStore

log = logging.getLogger(__name__)

_TEXT = ("name", "slug", "domain", "status", "plan", "hubspot_company_id", "hubspot_deal_id",
         "stripe_customer_id", "intercom_company_id", "slack_channel_id")  # fmt: skip
_NUMBERS = ("mrr", "monthly_orders")
_INVALID = "invalid_request_error"
# Pivotal stores a Slack channel id (C…) in slack_channel_id; anything else is refused.
_CHANNEL_ID = re.compile(r"C[A-Z0-9]{2,20}")


@dataclass
class WebhookTarget:
    """Where the sandbox delivers its events (a running bot's URL and secret), like Svix."""

    url: str
    secret: str
    delivered: list[tuple[str, int]] = field(default_factory=list)  # (event id, status)
    # Fields only webhooks carry (health, owner), added to each customer event's object.
    webhook_only: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def send_soon(self, event: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._send(event))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, event: dict[str, Any]) -> None:
        obj = (event.get("data") or {}).get("object")
        if self.webhook_only is not None and isinstance(obj, dict) and obj.get("display_id"):
            event["data"]["object"] = {**obj, **self.webhook_only(obj)}
        async with httpx.AsyncClient(timeout=10) as http:
            sender = WebhookSender(self.url, self.secret, http)
            try:
                response = await sender.deliver(event)
                status = response.status_code
            except httpx.HTTPError as exc:
                log.warning("sandbox webhook to %s failed: %s", self.url, type(exc).__name__)
                status = 0
        self.delivered.append((event["id"], status))

    async def drain(self, timeout: float = 5.0) -> None:
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)


def changes_from(body: object) -> dict[str, Any] | str:
    """The fields a PATCH body sets, or why it is refused."""
    if not isinstance(body, dict) or not body:
        return "Body must be a non-empty JSON object."
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if _settable(key, value):
            changes[key] = value
        else:
            return f"Field '{key}' cannot be set to {type(value).__name__} here."
    if "name" in changes and not (changes["name"] or "").strip():
        return "Field 'name' cannot be empty."
    return changes


def _settable(key: str, value: object) -> bool:
    if value is None:
        return key in _TEXT or key in _NUMBERS
    if key in _TEXT:
        return isinstance(value, str)
    return key in _NUMBERS and type(value) is int and value >= 0


async def patch_customer(
    request: web.Request, store: CustomerStore, target: WebhookTarget | None
) -> web.Response:
    """Apply a partial update, bump updated_at, answer, then send customer.updated."""
    ident = request.match_info["id"]
    found = store.get(ident)
    if found is None:
        return error_response(
            404, "not_found", "customer_not_found", f"No such customer: '{ident}'"
        )
    try:
        body = await request.json()
    except ValueError:
        return error_response(400, _INVALID, "invalid_json", "Body is not JSON.")
    changes = changes_from(body)
    if isinstance(changes, str):
        return error_response(400, _INVALID, "invalid_field", changes)
    channel = changes.get("slack_channel_id")
    if channel is not None and not _CHANNEL_ID.fullmatch(channel):
        msg = "slack_channel_id must be a Slack channel id starting with C (e.g. C024BE7LT)."
        return error_response(422, _INVALID, "invalid_string", msg, "slack_channel_id")
    previous = {key: found.get(key) for key in changes}
    updated = {**found, **changes, "updated_at": format_timestamp(datetime.now(UTC))}
    store.upsert(updated)
    if target is not None:
        target.send_soon(envelope("customer.updated", updated, previous=previous))
    return web.json_response(updated)


def parse_assignments(text: str) -> tuple[str, dict[str, Any]] | str:
    """`42 plan=growth mrr=150000` -> ("42", {...}); a string says what is wrong."""
    ref, *pairs = text.split()
    if not ref.isdigit() or not pairs:
        return (
            "Usage: /edit 42 plan=growth mrr=150000 health=38 (fields: name, plan, mrr, "
            "status, …; health and owner as Pivotal's webhooks carry them)"
        )
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if sep and key in TOLD:  # webhook-only: health=38, owner=sam@example.com
            told = _told(TOLD[key], value)
            if told is None:
                return f"{key} must be 0 to 100" if key == "health" else f"{key} must be an email"
            changes[TOLD[key]] = told
            continue
        if not sep or key not in (*_TEXT, *_NUMBERS):
            return f"'{pair}' is not field=value with a known field"
        if value == "null":
            changes[key] = None
        elif key in _NUMBERS:
            if not value.isdigit():
                return f"{key} must be a whole number (cents for mrr)"
            changes[key] = int(value)
        else:
            changes[key] = value.replace("_", " ") if key == "name" else value
    return ref, changes


TOLD = {"health": "health_score", "owner": "owner_email"}  # fields only webhooks carry


def _told(field: str, value: str) -> int | str | None:
    if field == "health_score":
        return int(value) if value.isdigit() and int(value) <= 100 else None
    return value if "@" in value else None


async def patch_over_http(base_url: str, key: str, ref: str, changes: dict[str, Any]) -> int:
    """PATCH a customer through the sandbox API, as a Pivotal user's edit; the status."""
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.patch(f"{base_url}/customers/{ref}", json=changes,
                                    headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        return response.status_code
