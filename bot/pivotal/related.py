"""A customer's contacts and onboardings, as Pivotal's API returns them (reference §2).

Like ``Customer``: frozen, unknown fields ignored, lenient timestamps. Phases and states
stay open strings (new values ship inside v1); ``onboarding_phases`` names them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.pivotal.models import Timestamp

_FROZEN = ConfigDict(frozen=True, extra="ignore")
_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ].*)?")


def _labels(value: object) -> object:
    """null is no labels; a list keeps its strings (others make the contact invalid)."""
    return () if value is None else value


def _day(value: object) -> object:
    """A launch date given as a date-time (``2026-07-01T00:00:00Z``) is its day."""
    if isinstance(value, str):
        match = _DAY.fullmatch(value.strip())
        if match:
            return match.group(1)
    return value


def _flag(value: object) -> object:
    """null is false (an unset flag)."""
    return False if value is None else value


Labels = Annotated[tuple[str, ...], BeforeValidator(_labels)]
Day = Annotated[date, BeforeValidator(_day)]
Flag = Annotated[bool, BeforeValidator(_flag)]


class Contact(BaseModel):
    """One contact of a customer (GET /customers/{id}/contacts, /contacts/{id})."""

    model_config = _FROZEN

    id: str = Field(min_length=1)
    display_id: int | None = None
    customer_id: str = Field(min_length=1)
    name: str | None = None
    email: str | None = None
    title: str | None = None
    # One per customer: it receives Pivotal's default Slack DM and email.
    is_primary: Flag = False
    labels: Labels = ()
    phone: str | None = None  # the UI has one; the API examples do not show it
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class Onboarding(BaseModel):
    """One onboarding (GET /onboardings, /customers/{id}/onboardings, /onboardings/{id})."""

    model_config = _FROZEN

    id: str = Field(min_length=1)
    display_id: int | None = None
    customer_id: str = Field(min_length=1)
    template_id: str | None = None
    # Open strings: the API guide, the product docs and the webhook docs disagree, and
    # workspaces rename phases. onboarding_phases.phase_label / state_label name them.
    phase: str
    state: str
    started_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    target_launch_date: Day | None = None
    csm_id: str | None = None
    se_id: str | None = None
    designer_id: str | None = None
    product_ops_id: str | None = None
    notes: str | None = None
    waiting_on_customer: Flag = False
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


def contact_line(contact: Contact) -> str:
    """One plain-text line for `contact`, e.g. ``Ada Lovelace (CTO) · ada@acme.com · primary
    · champion, billing``. Plain text: whoever draws it escapes it for its surface."""
    name = _clean(contact.name) or _clean(contact.email) or "Unnamed contact"
    title = _clean(contact.title)
    parts = [f"{name} ({title})" if title else name]
    email = _clean(contact.email)
    if email and email != name:
        parts.append(email)
    phone = _clean(contact.phone)
    if phone:
        parts.append(phone)
    if contact.is_primary:
        parts.append("primary")
    labels = [text for text in (_clean(label, 30) for label in contact.labels) if text]
    if labels:
        parts.append(", ".join(labels))
    return " · ".join(parts)


def primary_first(contacts: tuple[Contact, ...] | list[Contact]) -> list[Contact]:
    """`contacts` with the primary one first, the rest by name (case-insensitive)."""
    return sorted(contacts, key=lambda c: (not c.is_primary, (c.name or c.email or "").lower()))


def _clean(text: str | None, limit: int = 80) -> str:
    """`text` on one line without control characters, at most `limit` characters."""
    if not text:
        return ""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
