"""The sandbox Pivotal's contact and onboarding routes, and the webhooks their edits send.

GET /customers/{id}/contacts, POST /customers/{id}/contacts, GET and PATCH /contacts/{id};
GET /onboardings (``phase`` / ``state`` filters), GET /customers/{id}/onboardings, GET and
PATCH /onboardings/{id}. Lists page like GET /customers (``limit`` 1-100, default 20; a
``created_at`` cursor; newest first). Per the webhook catalog (reference §7) a new contact
sends ``contact.created``; an onboarding's phase and state changes send
``onboarding.phase_changed`` / ``.launched`` / ``.completed`` and ``onboarding.state_changed``
/ ``.at_risk`` / ``.back_on_track``. The catalog has no ``contact.updated`` and no
``onboarding.updated``: other edits are silent, as in Pivotal.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

from bot.sandbox.pivotal.deliveries import envelope
from bot.sandbox.pivotal.faults import error_response
from bot.sandbox.pivotal.formats import format_timestamp
from bot.sandbox.pivotal.related import RelatedStore
from bot.sandbox.pivotal.state import API_PREFIX, CUSTOMERS, SandboxState
from bot.sandbox.pivotal.store import parse_cursor

__all__ = ["CONTACTS", "ONBOARDINGS", "RelatedEndpoints", "onboarding_events"]

CONTACTS = API_PREFIX + "/contacts"
ONBOARDINGS = API_PREFIX + "/onboardings"
_INVALID = "invalid_request_error"
_INT = re.compile(r"[+-]?[0-9]+")
_ENUM = re.compile(r"[a-z][a-z0-9_]{0,39}")  # open enums: any snake_case value
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+")
_CONTACT_TEXT = ("name", "email", "title", "phone")
_ONBOARDING_IDS = ("csm_id", "se_id", "designer_id", "product_ops_id")
_Check = Callable[[str, object], object]


class RelatedEndpoints:
    """Handlers for one sandbox Pivotal's contacts and onboardings."""

    def __init__(self, pivotal: SandboxState, related: RelatedStore):
        self.pivotal = pivotal
        self.related = related

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(CUSTOMERS + "/{id}/contacts", self.contacts)
        app.router.add_post(CUSTOMERS + "/{id}/contacts", self.create_contact)
        app.router.add_get(CONTACTS + "/{id}", self.contact)
        app.router.add_patch(CONTACTS + "/{id}", self.patch_contact)
        app.router.add_get(ONBOARDINGS, self.onboardings)
        app.router.add_get(CUSTOMERS + "/{id}/onboardings", self.customer_onboardings)
        app.router.add_get(ONBOARDINGS + "/{id}", self.onboarding)
        app.router.add_patch(ONBOARDINGS + "/{id}", self.patch_onboarding)

    # ---- contacts ----------------------------------------------------------------------
    async def contacts(self, request: web.Request) -> web.Response:
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        paging = _paging(request)
        if isinstance(paging, web.Response):
            return paging
        return _list(*_page_of(self.related.contacts_of(customer), *paging))

    async def create_contact(self, request: web.Request) -> web.Response:
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        fields = await _body(request, _contact_field)
        if isinstance(fields, web.Response):
            return fields
        if not (fields.get("name") or fields.get("email")):
            return error_response(400, _INVALID, "missing_field", "Name or email is required.",
                                  "name")  # fmt: skip
        taken = self._email_taken(customer, fields.get("email"))
        if taken is not None:
            return taken
        contact = self.related.add_contact(customer, fields)
        self._send("contact.created", contact, None)
        return web.json_response(contact, status=201)

    async def contact(self, request: web.Request) -> web.Response:
        found = self.related.contact(request.match_info["id"])
        if found is None:
            return _missing("contact", request.match_info["id"])
        return web.json_response(found)

    async def patch_contact(self, request: web.Request) -> web.Response:
        ident = request.match_info["id"]
        found = self.related.contact(ident)
        if found is None:
            return _missing("contact", ident)
        changes = await _body(request, _contact_field)
        if isinstance(changes, web.Response):
            return changes
        customer = self.pivotal.store.get(found["customer_id"])
        taken = self._email_taken(customer, changes.get("email"), besides=found)
        if taken is not None:
            return taken
        return web.json_response(self.related.update_contact(found, changes))

    def _email_taken(
        self,
        customer: dict[str, Any] | None,
        email: object,
        besides: dict[str, Any] | None = None,
    ) -> web.Response | None:
        if customer is None or not isinstance(email, str):
            return None
        for other in self.related.contacts_of(customer):
            if other is not besides and str(other.get("email") or "").lower() == email.lower():
                msg = "A contact with this email already exists."
                return error_response(409, "conflict", "email_taken", msg, "email")
        return None

    # ---- onboardings -------------------------------------------------------------------
    async def onboardings(self, request: web.Request) -> web.Response:
        paging = _paging(request)
        if isinstance(paging, web.Response):
            return paging
        q = request.query
        page, has_more = self.related.onboarding_page(
            *paging, phase=q.get("phase") or None, state=q.get("state") or None
        )
        return _list(page, has_more)

    async def customer_onboardings(self, request: web.Request) -> web.Response:
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        paging = _paging(request)
        if isinstance(paging, web.Response):
            return paging
        return _list(*_page_of(self.related.onboardings_of(customer), *paging))

    async def onboarding(self, request: web.Request) -> web.Response:
        found = self.related.onboarding(request.match_info["id"])
        if found is None:
            return _missing("onboarding", request.match_info["id"])
        return web.json_response(found)

    async def patch_onboarding(self, request: web.Request) -> web.Response:
        ident = request.match_info["id"]
        found = self.related.onboarding(ident)
        if found is None:
            return _missing("onboarding", ident)
        changes = await _body(request, _onboarding_field)
        if isinstance(changes, web.Response):
            return changes
        now = datetime.now(UTC)
        if changes.get("phase") == "completed" and not found.get("completed_at"):
            changes["completed_at"] = format_timestamp(now)
        previous = {key: found.get(key) for key in changes if found.get(key) != changes[key]}
        found.update(changes, updated_at=format_timestamp(now))
        for kind in onboarding_events(previous, found):
            self._send(kind, found, previous)
        return web.json_response(found)

    # ---- shared ------------------------------------------------------------------------
    def _customer(self, request: web.Request) -> dict[str, Any] | web.Response:
        ident = request.match_info["id"]
        found = self.pivotal.store.get(ident)
        if found is None:
            return _missing("customer", ident)
        return found

    def _send(self, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None) -> None:
        """Deliver one event through the sandbox's webhook target, if it has one.

        A copy of the target that shares its delivery log and tasks (so ``delivered`` and
        ``drain`` see these too) but adds no customer-only fields (health, owner).
        """
        target = self.pivotal.webhooks
        if target is None:
            return
        plain = dataclasses.replace(target, webhook_only=None)
        plain.send_soon(envelope(kind, dict(obj), previous=previous))


def onboarding_events(previous: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The event types a change (`previous` holds the changed fields' old values) sends."""
    kinds: list[str] = []
    if "phase" in previous:
        kinds.append("onboarding.phase_changed")
        if now["phase"] == "launch":
            kinds.append("onboarding.launched")
        elif now["phase"] == "completed":
            kinds.append("onboarding.completed")
    if "state" in previous:
        kinds.append("onboarding.state_changed")
        if now["state"] == "at_risk":
            kinds.append("onboarding.at_risk")
        elif previous["state"] == "at_risk" and now["state"] == "active":
            kinds.append("onboarding.back_on_track")
    return kinds


def _missing(what: str, ident: str) -> web.Response:
    shown = ident[:64]
    return error_response(404, "not_found", f"{what}_not_found", f"No such {what}: '{shown}'")


def _list(page: list[dict[str, Any]], has_more: bool) -> web.Response:
    next_cursor = page[-1]["created_at"] if has_more and page else None
    body = {"object": "list", "data": page, "has_more": has_more, "next_cursor": next_cursor}
    return web.json_response(body)


def _page_of(
    items: list[dict[str, Any]], limit: int, before: int | None
) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` of `items` (newest first) created strictly before the cursor."""
    if before is not None:
        items = [i for i in items if parse_cursor(i["created_at"]) < before]
    return items[:limit], len(items) > limit


def _paging(request: web.Request) -> tuple[int, int | None] | web.Response:
    """(limit, cursor in microseconds) from the query, or the 400 that refuses them."""
    q = request.query
    raw_limit = q.get("limit", "20")
    if not _INT.fullmatch(raw_limit):
        return error_response(400, _INVALID, "invalid_type", "Expected number.", "limit")
    limit = int(raw_limit)
    if not 1 <= limit <= 100:
        code, bound = ("too_small", ">= 1") if limit < 1 else ("too_big", "<= 100")
        return error_response(400, _INVALID, code, f"limit must be {bound}.", "limit")
    if "cursor" not in q:
        return limit, None
    try:
        return limit, parse_cursor(q["cursor"])
    except ValueError:
        msg = "Invalid datetime for cursor."
        return error_response(400, _INVALID, "invalid_string", msg, "cursor")


async def _body(request: web.Request, check: _Check) -> dict[str, Any] | web.Response:
    """The fields a JSON object body sets, each passed by `check(key, value)` (which
    returns the value to keep or raises ValueError with the reason), or the 400."""
    try:
        body = await request.json()
    except ValueError:
        return error_response(400, _INVALID, "invalid_json", "Body is not JSON.")
    if not isinstance(body, dict) or not body:
        return error_response(400, _INVALID, "invalid_field", "Body must be a non-empty object.")
    fields: dict[str, Any] = {}
    for key, value in body.items():
        try:
            fields[key] = check(key, value)
        except ValueError as exc:
            return error_response(400, _INVALID, "invalid_field", str(exc), str(key)[:64])
    return fields


def _contact_field(key: str, value: object) -> object:
    if key in _CONTACT_TEXT:
        if value is None and key != "name":
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"Field '{key}' must be a non-empty string.")
        if key == "email" and not _EMAIL.fullmatch(value):
            raise ValueError("Field 'email' must be an email address.")
        return value.strip()
    if key == "is_primary":
        if not isinstance(value, bool):
            raise ValueError("Field 'is_primary' must be true or false.")
        return value
    if key == "labels":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError("Field 'labels' must be a list of strings.")
        return list(value)
    raise ValueError(f"Field '{key}' cannot be set here.")


def _onboarding_field(key: str, value: object) -> object:
    if key in ("phase", "state"):
        if not isinstance(value, str) or not _ENUM.fullmatch(value):
            raise ValueError(f"Field '{key}' must be a snake_case value such as 'launch'.")
        return value
    if key == "target_launch_date":
        if value is None:
            return None
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError("Field 'target_launch_date' must be a date (YYYY-MM-DD).") from None
    if key == "waiting_on_customer":
        if not isinstance(value, bool):
            raise ValueError("Field 'waiting_on_customer' must be true or false.")
        return value
    if key == "notes" or key in _ONBOARDING_IDS:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"Field '{key}' must be a string or null.")
        return value
    raise ValueError(f"Field '{key}' cannot be set here.")
