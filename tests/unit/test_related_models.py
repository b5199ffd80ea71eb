"""Contact and Onboarding: parsing, unknown fields ignored, open enums, bad bodies, the
contact line, and the generic Page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from bot.pivotal.models import Customer, CustomerPage, Page
from bot.pivotal.related import Contact, Onboarding, contact_line, primary_first


def contact(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "object": "contact",
        "id": "cl27g0qkh0016ct0k3xub9pby",
        "display_id": 336,
        "customer_id": "cl9bn00of0000g7l8gcq8c4xk",
        "name": "Maya Patel",
        "email": "maya.patel@acme.com",
        "title": "VP Customer Operations",
        "is_primary": True,
        "labels": ["champion", "executive sponsor"],
        "created_at": "2022-04-20T10:39:42.209Z",
        "updated_at": "2022-04-23T04:56:08.969Z",
    }
    body.update(fields)
    return body


def onboarding(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "object": "onboarding",
        "id": "cl16e409n0016onb0cq1t2t4f",
        "display_id": 1024,
        "customer_id": "cl9bn00of0000g7l8gcq8c4xk",
        "template_id": "tmpl_enterprise",
        "phase": "launch",
        "state": "active",
        "started_at": "2026-03-25T23:27:44.730Z",
        "completed_at": None,
        "target_launch_date": "2026-12-15",
        "csm_id": "usr_pat",
        "se_id": None,
        "designer_id": "usr_sam",
        "product_ops_id": None,
        "notes": "Launch comms drafted; needs sign-off.",
        "waiting_on_customer": True,
    }
    body.update(fields)
    return body


def test_a_contact_parses_every_documented_field() -> None:
    parsed = Contact.model_validate(contact(phone="+1 555 0100"))
    assert parsed.id == "cl27g0qkh0016ct0k3xub9pby" and parsed.display_id == 336
    assert parsed.customer_id == "cl9bn00of0000g7l8gcq8c4xk"
    assert (parsed.name, parsed.email, parsed.title) == (
        "Maya Patel", "maya.patel@acme.com", "VP Customer Operations")  # fmt: skip
    assert parsed.is_primary is True and parsed.labels == ("champion", "executive sponsor")
    assert parsed.phone == "+1 555 0100"
    assert parsed.created_at == datetime(2022, 4, 20, 10, 39, 42, 209000, tzinfo=UTC)


def test_an_onboarding_parses_every_documented_field() -> None:
    parsed = Onboarding.model_validate(onboarding(created_at="2026-03-25T12:00:00Z"))
    assert (parsed.phase, parsed.state) == ("launch", "active")
    assert parsed.target_launch_date == date(2026, 12, 15)
    assert parsed.completed_at is None and parsed.waiting_on_customer is True
    assert (parsed.csm_id, parsed.se_id, parsed.designer_id, parsed.product_ops_id) == (
        "usr_pat", None, "usr_sam", None)  # fmt: skip
    assert parsed.template_id == "tmpl_enterprise" and parsed.display_id == 1024
    assert parsed.notes == "Launch comms drafted; needs sign-off."
    assert parsed.started_at == datetime(2026, 3, 25, 23, 27, 44, 730000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("model", "body"),
    [(Contact, contact(avatar_url="https://x", owner={"id": 1}, mobile="+1")),
     (Onboarding, onboarding(progress=0.5, tasks=[{"id": "t1"}], template={"name": "x"}))],
)  # fmt: skip
def test_unknown_fields_are_ignored(
    model: type[Contact | Onboarding], body: dict[str, Any]
) -> None:
    parsed = model.model_validate(body)
    assert not set(parsed.model_dump()) & {"avatar_url", "owner", "mobile", "progress", "tasks"}


@pytest.mark.parametrize(
    ("phase", "state"),
    [("integration", "blocked"), ("kickoff", "done"), ("data_migration", "on_hold")],
)
def test_phases_and_states_stay_open(phase: str, state: str) -> None:
    parsed = Onboarding.model_validate(onboarding(phase=phase, state=state))
    assert (parsed.phase, parsed.state) == (phase, state)


@pytest.mark.parametrize(
    ("given", "day"),
    [("2026-12-15", date(2026, 12, 15)), ("2026-12-15T00:00:00Z", date(2026, 12, 15)),
     ("2026-12-15T17:30:00.000Z", date(2026, 12, 15)), (None, None)],
)  # fmt: skip
def test_target_launch_date_is_a_day(given: str | None, day: date | None) -> None:
    assert Onboarding.model_validate(onboarding(target_launch_date=given)).target_launch_date == day


def test_lenient_values() -> None:
    lenient = Contact.model_validate(
        contact(labels=None, is_primary=None, created_at="2016-12-31T23:59:60Z",
                display_id=None, name=None, email=None, title=None)
    )  # fmt: skip
    assert lenient.labels == () and lenient.is_primary is False
    assert lenient.created_at == datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)
    bare = Contact.model_validate({"id": "c1", "customer_id": "c2"})
    assert bare.created_at is None and bare.labels == ()
    done = Onboarding.model_validate(
        onboarding(waiting_on_customer=None, completed_at="0000-01-01T00:00:00Z")
    )
    assert done.waiting_on_customer is False and done.completed_at is not None


@pytest.mark.parametrize(
    "body",
    [contact(id=""), contact(id=None), {"customer_id": "c2"}, contact(customer_id=None),
     contact(labels="champion"), contact(labels=[1]), contact(is_primary="sometimes"),
     contact(display_id="abc"), contact(created_at="yesterday"), contact(email=5)],
)  # fmt: skip
def test_bad_contacts_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Contact.model_validate(body)


@pytest.mark.parametrize(
    "body",
    [onboarding(phase=None), onboarding(state=3), {"id": "o1", "customer_id": "c1"},
     onboarding(customer_id=""), onboarding(target_launch_date="soon"),
     onboarding(waiting_on_customer="maybe"), onboarding(started_at="not a time")],
)  # fmt: skip
def test_bad_onboardings_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Onboarding.model_validate(body)


def test_models_are_frozen() -> None:
    parsed = Contact.model_validate(contact())
    with pytest.raises(ValidationError):
        parsed.name = "Someone else"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("fields", "line"),
    [({}, "Maya Patel (VP Customer Operations) · maya.patel@acme.com · primary · champion, "
          "executive sponsor"),
     ({"is_primary": False, "labels": []},
      "Maya Patel (VP Customer Operations) · maya.patel@acme.com"),
     ({"title": None, "is_primary": False, "labels": [], "phone": "+1 555 0100"},
      "Maya Patel · maya.patel@acme.com · +1 555 0100"),
     ({"name": None, "title": None, "is_primary": False, "labels": []}, "maya.patel@acme.com"),
     ({"name": "  ", "email": None, "title": None, "labels": []}, "Unnamed contact · primary"),
     ({"name": "Tom\nBecker\x00", "title": "CTO\t", "email": None, "labels": ["", " tech "]},
      "Tom Becker (CTO) · primary · tech"),
     ({"name": "N" * 100, "title": None, "email": None, "is_primary": False, "labels": []},
      "N" * 79 + "…")],
)  # fmt: skip
def test_contact_line(fields: dict[str, Any], line: str) -> None:
    assert contact_line(Contact.model_validate(contact(**fields))) == line


def test_primary_first_then_by_name() -> None:
    people = [Contact.model_validate(contact(id=f"c{i}", name=name, is_primary=primary))
              for i, (name, primary) in enumerate([("zed", False), ("Bea", False),
                                                   ("Yan", True), ("al", False)])]  # fmt: skip
    assert [c.name for c in primary_first(people)] == ["Yan", "al", "Bea", "zed"]


def test_page_is_generic_and_customer_page_still_works() -> None:
    row = Customer.model_validate({"id": "c1", "display_id": 1, "name": "A", "status": "active",
                                   "created_at": "2024-01-01T00:00:00Z",
                                   "updated_at": "2024-01-01T00:00:00Z"})  # fmt: skip
    customers = CustomerPage(data=(row,), has_more=False)
    assert isinstance(customers, Page) and customers.skipped == 0
    contacts = Page[Contact](data=(Contact.model_validate(contact()),), has_more=True,
                             next_cursor="2022-04-20T10:39:42.209Z", skipped=2)  # fmt: skip
    assert contacts.data[0].name == "Maya Patel" and contacts.skipped == 2
    with pytest.raises(ValidationError):
        Page[Contact](data=(row,), has_more=False)  # a customer is not a contact
