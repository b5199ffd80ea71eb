"""Typed edits of contacts and onboardings (the demo's /edit-contact and /edit-onboarding),
made through the sandbox API as a Pivotal user's would be, so its webhooks follow."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx

from bot.sandbox.pivotal.related_endpoints import onboarding_events

__all__ = ["add_contact_over_http", "edit_onboarding_over_http", "parse_contact",
           "parse_onboarding"]  # fmt: skip

CONTACT_USAGE = ("Usage: /edit-contact 42 name=Zoe_Walsh email=zoe@acme.com title=COO "
                 "primary=yes labels=champion,billing (adds a contact)")  # fmt: skip
ONBOARDING_USAGE = ("Usage: /edit-onboarding 10 phase=launch state=active target=2027-01-15 "
                    "waiting=no notes=Go_live_call_booked")  # fmt: skip
_YES = {"yes": True, "true": True, "no": False, "false": False}
_ENUM = re.compile(r"[a-z][a-z0-9_]{0,39}")


def parse_contact(text: str) -> tuple[str, dict[str, Any]] | str:
    """`42 name=Zoe_Walsh email=…` -> ("42", {...}); a string says what is wrong."""
    pairs = _pairs(text, CONTACT_USAGE)
    if isinstance(pairs, str):
        return pairs
    ref, given = pairs
    fields: dict[str, Any] = {}
    for key, value in given:
        if key in ("name", "title", "phone"):
            fields[key] = value.replace("_", " ")
        elif key == "email":
            if "@" not in value:
                return "email must be an email address"
            fields["email"] = value
        elif key == "primary":
            if value.lower() not in _YES:
                return "primary must be yes or no"
            fields["is_primary"] = _YES[value.lower()]
        elif key == "labels":
            fields["labels"] = [label.replace("_", " ") for label in value.split(",") if label]
        else:
            return f"'{key}' is not a contact field (name, email, title, phone, primary, labels)"
    if "name" not in fields and "email" not in fields:
        return "a contact needs a name or an email"
    return ref, fields


def parse_onboarding(text: str) -> tuple[str, dict[str, Any]] | str:
    """`10 phase=launch state=active` -> ("10", {...}); a string says what is wrong."""
    pairs = _pairs(text, ONBOARDING_USAGE)
    if isinstance(pairs, str):
        return pairs
    ref, given = pairs
    changes: dict[str, Any] = {}
    for key, value in given:
        if key in ("phase", "state"):
            if not _ENUM.fullmatch(value):
                return f"{key} must be a snake_case value such as launch or at_risk"
            changes[key] = value
        elif key == "target":
            try:
                changes["target_launch_date"] = date.fromisoformat(value).isoformat()
            except ValueError:
                return "target must be a date such as 2027-01-15"
        elif key == "waiting":
            if value.lower() not in _YES:
                return "waiting must be yes or no"
            changes["waiting_on_customer"] = _YES[value.lower()]
        elif key == "notes":
            changes["notes"] = value.replace("_", " ")
        else:
            return f"'{key}' is not an onboarding field (phase, state, target, waiting, notes)"
    return ref, changes


def _pairs(text: str, usage: str) -> tuple[str, list[tuple[str, str]]] | str:
    ref, *words = text.split()
    if not ref.isdigit() or not words:
        return usage
    pairs: list[tuple[str, str]] = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not value:
            return f"'{word}' is not field=value"
        pairs.append((key, value))
    return ref, pairs


async def add_contact_over_http(
    base_url: str, key: str, ref: str, fields: dict[str, Any]
) -> tuple[int, list[str]]:
    """POST a contact to customer `ref`; (status, the event types Pivotal sends)."""
    async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {key}"}) as http:
        response = await http.post(f"{base_url}/customers/{ref}/contacts", json=fields)
    return response.status_code, ["contact.created"] if response.status_code == 201 else []


async def edit_onboarding_over_http(
    base_url: str, key: str, ref: str, changes: dict[str, Any]
) -> tuple[int, list[str]]:
    """PATCH customer `ref`'s newest onboarding; (status, the event types Pivotal sends).
    404 when the customer has none."""
    async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {key}"}) as http:
        listed = await http.get(f"{base_url}/customers/{ref}/onboardings")
        if listed.status_code != 200:
            return listed.status_code, []
        found = listed.json()["data"]
        if not found:
            return 404, []
        before = found[0]
        response = await http.patch(f"{base_url}/onboardings/{before['id']}", json=changes)
    if response.status_code != 200:
        return response.status_code, []
    after = response.json()
    previous = {k: before.get(k) for k in changes if before.get(k) != after.get(k)}
    return 200, onboarding_events(previous, after)
