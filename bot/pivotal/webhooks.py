"""Pivotal webhooks (Standard Webhooks, delivered by Svix): verify, then parse. No I/O.

Verification uses the `standardwebhooks` library for the HMAC and the 5-minute window, and
guards its edges: it only reads `webhook-*` headers (Svix sends `svix-*`), it raises
ValueError / binascii.Error / UnicodeDecodeError on malformed tokens or bodies instead of
its own error, and `verify()` returns nothing useful, so the body is parsed here, after.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.pivotal.models import Customer, Signals, Timestamp
from bot.pivotal.related import Contact, Onboarding

MAX_BODY_BYTES = 256 * 1024
TOLERANCE_SECONDS = 300  # the library's own window; stated here for the docs and tests
SECRET_PREFIX = "whsec_"  # noqa: S105 - the documented prefix, not a secret
_MIN_SECRET_BYTES = 16
_HEADER_NAMES = ("id", "timestamp", "signature")
_SPELLINGS = ("svix-", "webhook-")
_DELIVERY_ID = re.compile(r"[A-Za-z0-9_.:-]{1,256}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v1,[A-Za-z0-9+/]{4,200}={0,2}")
_MAX_SIGNATURES = 10
_FROZEN = ConfigDict(frozen=True, extra="ignore")
# Fields the documented partial object carries besides the REST ones.
SIGNAL_FIELDS = frozenset(
    {"health_score", "previous_health_score", "at_risk", "churned", "owner_email"}
)
CUSTOMER_EVENTS = frozenset(
    {"customer.created", "customer.updated", "customer.archived", "customer.at_risk",
     "customer.churned", "customer.health_score_dropped"}
)  # fmt: skip
# Reference §7: the onboarding and contact events, whose object is the REST one.
ONBOARDING_EVENTS = frozenset(
    {"onboarding.created", "onboarding.phase_changed", "onboarding.state_changed",
     "onboarding.at_risk", "onboarding.back_on_track", "onboarding.launched",
     "onboarding.completed"}
)  # fmt: skip
CONTACT_EVENTS = frozenset({"contact.created"})
STATUS_EVENTS = {
    "customer.archived": "archived",
    "customer.at_risk": "at_risk",
    "customer.churned": "churned",
}


class WebhookRejected(Exception):
    """The request is not a delivery the bot will act on; `status` is the HTTP answer."""

    status = 400


class MissingHeaders(WebhookRejected):
    """No complete set of svix-* or webhook-* id / timestamp / signature headers."""


class BadSignature(WebhookRejected):
    """Forged, tampered, stale or malformed signature: nothing is changed."""

    status = 401


class BadPayload(WebhookRejected):
    """Signed, but not a JSON event envelope."""


def parse_secrets(value: str) -> tuple[Webhook, ...]:
    """Verifiers for space-separated `whsec_…` secrets; ValueError names what is wrong."""
    parts = value.split()
    if not parts:
        raise ValueError("must hold at least one whsec_… secret")
    verifiers = []
    for n, part in enumerate(parts, 1):
        where = f"secret {n} of {len(parts)}" if len(parts) > 1 else "the secret"
        if not part.startswith(SECRET_PREFIX):
            raise ValueError(f"{where} does not start with {SECRET_PREFIX}")
        try:
            key = base64.b64decode(part[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{where} is not base64 after {SECRET_PREFIX}") from None
        if len(key) < _MIN_SECRET_BYTES:
            raise ValueError(f"{where} is too short (under {_MIN_SECRET_BYTES} bytes)")
        verifiers.append(Webhook(key))
    return tuple(verifiers)


@dataclass(frozen=True)
class Delivery:
    """The signed headers of one verified delivery (the id is Svix's, not the event's)."""

    message_id: str
    timestamp: int


def signed_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The `webhook-*` triple from either spelling; MissingHeaders when neither is whole."""
    lower = {k.lower(): v for k, v in headers.items()}
    for prefix in _SPELLINGS:
        found = {name: lower.get(prefix + name, "").strip() for name in _HEADER_NAMES}
        if all(found.values()):
            return {f"webhook-{name}": value for name, value in found.items()}
    raise MissingHeaders("missing webhook id, timestamp or signature header")


def verify(body: bytes, headers: Mapping[str, str], verifiers: tuple[Webhook, ...]) -> Delivery:
    """Check the signature over the raw `body` with any of `verifiers`; raise if it fails."""
    signed = signed_headers(headers)
    message_id, timestamp = signed["webhook-id"], signed["webhook-timestamp"]
    if not _DELIVERY_ID.fullmatch(message_id) or not _TIMESTAMP.fullmatch(timestamp):
        raise BadSignature("malformed webhook id or timestamp")
    # Malformed tokens make the library raise ValueError; keep only well-formed v1 ones.
    tokens = [t for t in signed["webhook-signature"].split() if _well_formed(t)]
    if not tokens or len(tokens) > _MAX_SIGNATURES:
        raise BadSignature("no well-formed v1 signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadSignature("body is not UTF-8, so it cannot match a signature") from None
    signed["webhook-signature"] = " ".join(tokens)
    for verifier in verifiers:
        try:
            verifier.verify(text, signed, json_parse=False)
        except WebhookVerificationError:
            continue
        except (binascii.Error, ValueError):
            raise BadSignature("malformed signature") from None
        return Delivery(message_id, int(timestamp))
    raise BadSignature("no signature matches, or the timestamp is outside 5 minutes")


def _well_formed(token: str) -> bool:
    if not _SIGNATURE.fullmatch(token):
        return False
    try:
        base64.b64decode(token[3:], validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


class _Data(BaseModel):
    model_config = _FROZEN

    object: dict[str, Any] | None = None
    previous_attributes: dict[str, Any] | None = None


class _Envelope(BaseModel):
    model_config = _FROZEN

    id: str = Field(min_length=1, max_length=256)
    type: str = Field(min_length=1, max_length=100)
    created_at: Timestamp
    livemode: bool | None = None
    data: _Data | None = None


@dataclass(frozen=True)
class CustomerEvent:
    """A `customer.*` event with what its object told: a whole customer or some fields.

    `customer` is set when the object validates as the REST Customer; otherwise `fields`
    holds the REST fields it carried (name, plan, …) keyed by `display_id`. `changed` is
    the names in previous_attributes (None when the event did not say).
    """

    id: str
    type: str
    created_at: datetime
    display_id: int
    customer: Customer | None
    fields: Mapping[str, Any]
    signals: Signals | None
    changed: frozenset[str] | None
    updated_at: datetime | None

    @property
    def status(self) -> str | None:
        """The status a status event implies (archived, at_risk, churned), else None."""
        return STATUS_EVENTS.get(self.type)


@dataclass(frozen=True)
class OnboardingEvent:
    """An `onboarding.*` event: the onboarding as it is now."""

    id: str
    type: str
    created_at: datetime
    onboarding: Onboarding


@dataclass(frozen=True)
class ContactEvent:
    """A `contact.created` event: the new contact."""

    id: str
    type: str
    created_at: datetime
    contact: Contact


@dataclass(frozen=True)
class Ping:
    id: str
    created_at: datetime


@dataclass(frozen=True)
class OtherEvent:
    """Any other type, or a customer event whose object names no customer: logged, ignored."""

    id: str
    type: str
    created_at: datetime
    reason: str


WebhookEvent = CustomerEvent | OnboardingEvent | ContactEvent | Ping | OtherEvent


def parse_event(body: bytes) -> WebhookEvent:
    """The event in a verified `body`; BadPayload when it is not a JSON event envelope."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadPayload("body is not JSON") from None
    if not isinstance(raw, dict):
        raise BadPayload("body is not a JSON object")
    try:
        envelope = _Envelope.model_validate(raw)
    except ValidationError as exc:
        names = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        raise BadPayload(f"not an event envelope ({', '.join(names) or 'shape'})") from None
    if envelope.type == "webhook.ping":
        return Ping(envelope.id, envelope.created_at)
    data = envelope.data or _Data()
    if envelope.type in ONBOARDING_EVENTS or envelope.type in CONTACT_EVENTS:
        return _related_event(envelope, data.object or {})
    if envelope.type not in CUSTOMER_EVENTS:
        return OtherEvent(envelope.id, envelope.type, envelope.created_at, "unhandled_type")
    return _customer_event(envelope, data.object or {}, data.previous_attributes)


def _related_event(envelope: _Envelope, obj: dict[str, Any]) -> WebhookEvent:
    """An onboarding or contact event; one whose object is not one is logged, ignored."""
    try:
        if envelope.type in CONTACT_EVENTS:
            contact = Contact.model_validate(obj)
            return ContactEvent(envelope.id, envelope.type, envelope.created_at, contact)
        onboarding = Onboarding.model_validate(obj)
    except ValidationError:
        return OtherEvent(envelope.id, envelope.type, envelope.created_at, "bad_object")
    return OnboardingEvent(envelope.id, envelope.type, envelope.created_at, onboarding)


def _customer_event(
    envelope: _Envelope, obj: dict[str, Any], previous: dict[str, Any] | None
) -> WebhookEvent:
    display_id = obj.get("display_id")
    if isinstance(display_id, bool) or not isinstance(display_id, int) or display_id < 0:
        return OtherEvent(envelope.id, envelope.type, envelope.created_at, "no_display_id")
    customer = _full_customer(obj)
    fields = {} if customer else _rest_fields(obj)
    updated = customer.updated_at if customer else _timestamp(obj.get("updated_at"))
    changed = frozenset(previous) if isinstance(previous, dict) else None
    return CustomerEvent(
        envelope.id, envelope.type, envelope.created_at, display_id, customer, fields,
        _signals(obj), changed, updated,
    )  # fmt: skip


def _full_customer(obj: dict[str, Any]) -> Customer | None:
    try:
        return Customer.model_validate(obj)
    except ValidationError:
        return None


def _rest_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The REST fields a partial object carries, each kept only if it validates alone."""
    kept: dict[str, Any] = {}
    for name in Customer.model_fields.keys() - {"id", "display_id", "created_at", "updated_at"}:
        if name in obj and _field_ok(name, obj[name]):
            kept[name] = obj[name]
    return kept


_PROBE = {"id": "x", "display_id": 1, "name": "x", "status": "active",
          "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z"}  # fmt: skip


def _field_ok(name: str, value: Any) -> bool:
    try:
        Customer.model_validate({**_PROBE, name: value})
    except ValidationError:
        return False
    return True


def _signals(obj: dict[str, Any]) -> Signals | None:
    present = {k: obj[k] for k in SIGNAL_FIELDS if k in obj}
    if not present:
        return None
    try:
        return Signals.model_validate(present)
    except ValidationError:
        # One odd field should not lose the rest: keep those that validate alone.
        kept = {}
        for key, value in present.items():
            try:
                Signals.model_validate({key: value})
            except ValidationError:
                continue
            kept[key] = value
        return Signals.model_validate(kept) if kept else None


def _timestamp(value: object) -> datetime | None:
    try:
        return _TIMESTAMP_ADAPTER.validate_python(value)
    except ValidationError:
        return None


_TIMESTAMP_ADAPTER: TypeAdapter[datetime] = TypeAdapter(Timestamp)
