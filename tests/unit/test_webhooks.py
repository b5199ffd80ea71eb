"""Webhook verification and parsing, signed with the standardwebhooks library's own signer."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from bot.pivotal.webhooks import (
    BadPayload,
    BadSignature,
    ContactEvent,
    CustomerEvent,
    MissingHeaders,
    OnboardingEvent,
    OtherEvent,
    Ping,
    parse_event,
    parse_secrets,
    verify,
)

SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"x" * 24).decode()


def signed(
    body: bytes,
    secret: str = SECRET,
    *,
    msg_id: str = "msg_2abc",
    at: datetime | None = None,
    prefix: str = "svix-",
) -> dict[str, str]:
    when = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, when, body.decode())
    return {
        f"{prefix}id": msg_id,
        f"{prefix}timestamp": str(int(when.timestamp())),
        f"{prefix}signature": signature,
    }


BODY = json.dumps({"id": "evt_1", "type": "webhook.ping", "created_at": "2026-01-01T00:00:00Z"})


@pytest.mark.parametrize("prefix", ["svix-", "webhook-", "Svix-", "WEBHOOK-"])
def test_both_spellings_verify(prefix: str) -> None:
    body = BODY.encode()
    delivery = verify(body, signed(body, prefix=prefix), parse_secrets(SECRET))
    assert delivery.message_id == "msg_2abc"


def test_rotation_accepts_every_configured_secret() -> None:
    body = BODY.encode()
    verifiers = parse_secrets(f"{SECRET}  {OLD_SECRET}")
    assert verify(body, signed(body, OLD_SECRET), verifiers)
    assert verify(body, signed(body, SECRET), verifiers)
    with pytest.raises(BadSignature):
        verify(body, signed(body, OTHER), verifiers)


def test_several_signatures_in_one_header_any_may_match() -> None:
    body = BODY.encode()
    headers = signed(body)
    forged = signed(body, OTHER)["svix-signature"]
    headers["svix-signature"] = f"{forged} v2,abc {headers['svix-signature']}"
    assert verify(body, headers, parse_secrets(SECRET))


def _tampered(h: dict[str, str]) -> dict[str, str]:
    return {**h, "svix-id": "msg_other"}


CASES: list[tuple[str, Any, type[Exception]]] = [
    ("forged", lambda b: signed(b, OTHER), BadSignature),
    ("stale", lambda b: signed(b, at=datetime.now(UTC) - timedelta(minutes=6)), BadSignature),
    ("future", lambda b: signed(b, at=datetime.now(UTC) + timedelta(minutes=6)), BadSignature),
    ("id swapped", lambda b: _tampered(signed(b)), BadSignature),
    ("no comma", lambda b: {**signed(b), "svix-signature": "v1abc"}, BadSignature),
    ("two commas", lambda b: {**signed(b), "svix-signature": "v1,a,b"}, BadSignature),
    ("bad base64", lambda b: {**signed(b), "svix-signature": "v1,AAAAA"}, BadSignature),
    ("not base64", lambda b: {**signed(b), "svix-signature": "v1,!!!!"}, BadSignature),
    ("v2 only", lambda b: {**signed(b), "svix-signature": "v2,AAAA"}, BadSignature),
    ("nan time", lambda b: {**signed(b), "svix-timestamp": "nan"}, BadSignature),
    ("float time", lambda b: {**signed(b), "svix-timestamp": "1e10"}, BadSignature),
    ("huge time", lambda b: {**signed(b), "svix-timestamp": "9" * 40}, BadSignature),
    ("odd id", lambda b: {**signed(b), "svix-id": "msg 1\n"}, BadSignature),
    ("no headers", lambda b: {}, MissingHeaders),
    ("no signature", lambda b: {k: v for k, v in signed(b).items() if "sig" not in k},
     MissingHeaders),
    ("blank id", lambda b: {**signed(b), "svix-id": "  "}, MissingHeaders),
    ("mixed spellings", lambda b: {**signed(b, prefix="webhook-"), "webhook-id": ""},
     MissingHeaders),
]  # fmt: skip


@pytest.mark.parametrize(("name", "headers", "error"), CASES, ids=[c[0] for c in CASES])
def test_refused(name: str, headers: Any, error: type[Exception]) -> None:
    body = BODY.encode()
    with pytest.raises(error):
        verify(body, headers(body), parse_secrets(SECRET))


def test_tampered_body_is_refused() -> None:
    body = BODY.encode()
    headers = signed(body)
    with pytest.raises(BadSignature):
        verify(body.replace(b"ping", b"pong"), headers, parse_secrets(SECRET))


def test_undecodable_body_is_refused_not_crashed() -> None:
    with pytest.raises(BadSignature):
        verify(b"\xff\xfe{}", signed(b"{}"), parse_secrets(SECRET))


def test_statuses() -> None:
    assert MissingHeaders.status == 400
    assert BadSignature.status == 401
    assert BadPayload.status == 400


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "at least one"),
        ("   ", "at least one"),
        ("sk_live_abc", "does not start with whsec_"),
        ("whsec_***notbase64***", "not base64"),
        ("whsec_", "too short"),
        ("whsec_" + base64.b64encode(b"short").decode(), "too short"),
        (f"{SECRET} whsec_nope!", "secret 2 of 2 is not base64"),
    ],
)
def test_malformed_secrets(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_secrets(value)


def test_secret_message_never_holds_the_secret() -> None:
    with pytest.raises(ValueError) as caught:
        parse_secrets(f"{SECRET} bogus-{SECRET[6:]}")
    assert SECRET[6:] not in str(caught.value)


REST = {
    "object": "customer",
    "id": "cl9bn00of0000g7l8gcq8c4xk",
    "display_id": 42,
    "name": "Acme Co.",
    "slug": "acme-co",
    "status": "active",
    "plan": "growth",
    "mrr": 150000,
    "created_at": "2022-03-22T10:00:00Z",
    "updated_at": "2026-05-26T17:21:09.412Z",
}
PARTIAL = {
    "id": "cus_2Nf0",
    "display_id": 4218,
    "name": "Globex",
    "health_score": 38,
    "previous_health_score": 72,
    "at_risk": True,
    "churned": False,
    "owner_email": "csm@example.com",
}


def envelope(kind: str, obj: Any = None, previous: Any = None, **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "id": "evt_9", "type": kind, "created_at": "2026-05-26T17:21:10Z", "org_id": "org_1",
        "livemode": True, "api_version": "v1", **extra,
    }  # fmt: skip
    if obj is not None:
        body["data"] = {"object": obj, "previous_attributes": previous}
    return json.dumps(body).encode()


def test_full_object_is_a_rest_customer() -> None:
    event = parse_event(envelope("customer.updated", REST, {"plan": "starter"}))
    assert isinstance(event, CustomerEvent)
    assert event.customer is not None and event.customer.plan == "growth"
    assert event.display_id == 42 and event.changed == {"plan"}
    assert event.updated_at == event.customer.updated_at
    assert event.signals is None and event.fields == {}


def test_full_object_with_health_keeps_both() -> None:
    event = parse_event(envelope("customer.created", {**REST, "health_score": 90}))
    assert isinstance(event, CustomerEvent) and event.customer is not None
    assert event.signals is not None and event.signals.health_score == 90


def test_partial_object_is_the_documented_example() -> None:
    event = parse_event(envelope("customer.updated", PARTIAL))
    assert isinstance(event, CustomerEvent)
    assert event.customer is None and event.display_id == 4218
    assert event.fields == {"name": "Globex"}
    assert event.signals is not None
    assert (event.signals.health_score, event.signals.previous_health_score) == (38, 72)
    assert event.signals.owner_email == "csm@example.com"
    assert event.signals.at_risk is True and event.signals.churned is False
    assert event.changed is None and event.updated_at is None


def test_partial_keeps_valid_fields_and_drops_odd_ones() -> None:
    odd = {**PARTIAL, "health_score": 400, "owner_email": "<!channel>", "mrr": "lots", "plan": "x"}
    event = parse_event(envelope("customer.updated", odd))
    assert isinstance(event, CustomerEvent) and event.signals is not None
    assert event.signals.health_score is None and event.signals.owner_email is None
    assert event.signals.previous_health_score == 72
    assert event.fields == {"name": "Globex", "plan": "x"}


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("customer.archived", "archived"),
        ("customer.at_risk", "at_risk"),
        ("customer.churned", "churned"),
        ("customer.health_score_dropped", None),
        ("customer.updated", None),
    ],
)
def test_status_events(kind: str, status: str | None) -> None:
    event = parse_event(envelope(kind, PARTIAL))
    assert isinstance(event, CustomerEvent) and event.status == status


@pytest.mark.parametrize(
    ("body", "kind", "reason"),
    [
        (envelope("webhook.ping"), Ping, None),
        (envelope("onboarding.launched", {"id": "onb_1"}), OtherEvent, "bad_object"),
        (envelope("task.updated", {"id": "t_1"}), OtherEvent, "unhandled_type"),
        (envelope("customer.future_thing", {"display_id": 1}), OtherEvent, "unhandled_type"),
        (envelope("customer.updated", {"id": "cus_1"}), OtherEvent, "no_display_id"),
        (envelope("customer.updated"), OtherEvent, "no_display_id"),
        (envelope("customer.updated", {"display_id": "42"}), OtherEvent, "no_display_id"),
        (envelope("customer.updated", {"display_id": True}), OtherEvent, "no_display_id"),
    ],
)
def test_other_events(body: bytes, kind: type, reason: str | None) -> None:
    event = parse_event(body)
    assert isinstance(event, kind)
    if reason:
        assert isinstance(event, OtherEvent) and event.reason == reason


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"evt"',
        b"{}",
        b'{"id": "evt_1", "type": "customer.updated"}',
        b'{"id": "", "type": "customer.updated", "created_at": "2026-01-01T00:00:00Z"}',
        b'{"id": "evt_1", "type": "x", "created_at": "yesterday"}',
        b'{"id": "evt_1", "type": "x", "created_at": "2026-01-01T00:00:00Z", "data": 5}',
    ],
)
def test_bad_payloads(body: bytes) -> None:
    with pytest.raises(BadPayload):
        parse_event(body)


ONBOARDING = {"object": "onboarding", "id": "onb_1", "display_id": 1001, "customer_id": "cus_1",
              "phase": "launch", "state": "at_risk", "target_launch_date": "2026-03-03",
              "updated_at": "2026-02-01T00:00:00Z"}  # fmt: skip
CONTACT = {"object": "contact", "id": "con_1", "customer_id": "cus_1", "name": "Ada",
           "email": "ada@acme.com", "is_primary": True}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "obj", "expected"),
    [("onboarding.created", ONBOARDING, OnboardingEvent),
     ("onboarding.phase_changed", ONBOARDING, OnboardingEvent),
     ("onboarding.state_changed", ONBOARDING, OnboardingEvent),
     ("onboarding.at_risk", ONBOARDING, OnboardingEvent),
     ("onboarding.back_on_track", ONBOARDING, OnboardingEvent),
     ("onboarding.launched", {**ONBOARDING, "phase": "some_new_phase"}, OnboardingEvent),
     ("onboarding.completed", ONBOARDING, OnboardingEvent),
     ("contact.created", CONTACT, ContactEvent),
     ("onboarding.updated", ONBOARDING, OtherEvent),  # not in the developer catalog
     ("onboarding.launched", {"id": "onb_1"}, OtherEvent),  # no customer, phase or state
     ("onboarding.launched", None, OtherEvent),
     ("contact.created", {**CONTACT, "customer_id": ""}, OtherEvent),
     ("contact.created", ONBOARDING | {"customer_id": 7}, OtherEvent)],
)  # fmt: skip
def test_related_events(kind: str, obj: Any, expected: type) -> None:
    event = parse_event(envelope(kind, obj))
    assert type(event) is expected
    if isinstance(event, OnboardingEvent):
        assert event.onboarding.customer_id == "cus_1" and event.type == kind
    if isinstance(event, ContactEvent):
        assert event.contact.email == "ada@acme.com" and event.contact.is_primary
    if isinstance(event, OtherEvent):
        assert event.reason in {"bad_object", "unhandled_type"}
