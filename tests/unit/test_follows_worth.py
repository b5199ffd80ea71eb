"""Which changes are worth a message (bot/follows/worth.py): a table per rule."""

from __future__ import annotations

from typing import Any

import pytest

from bot.follows.model import DEFAULT_KINDS, Notice
from bot.follows.worth import event_key, segment_notice, worth
from bot.lookup.changed import CustomerChanged
from bot.pivotal.models import Customer, Signals
from tests.unit.customers import make_customer


def acme(**fields: Any) -> Customer:
    return make_customer(42, **{"name": "Acme", "plan": "growth", "mrr": 125000, **fields})


def change(before: Customer | None, after: Customer | None, **kw: Any) -> CustomerChanged:
    told = kw.pop("told", (None, None))
    return CustomerChanged(42, before, after, told[0], told[1], kw.pop("cause", "webhook"), **kw)


@pytest.mark.parametrize(
    ("before", "after", "notices"),
    [
        (acme(), acme(status="at_risk"), [Notice("status", "active", "at_risk")]),
        (acme(status="at_risk"), acme(), [Notice("status", "at_risk", "active")]),
        (acme(), acme(plan="enterprise"), [Notice("plan", "growth", "enterprise")]),
        (acme(), acme(mrr=150000), [Notice("mrr", "125000", "150000")]),
        (acme(), acme(mrr=None), [Notice("mrr", "125000", None)]),
        (acme(), acme(name="Acme Co."), []),  # a rename is not worth a message
        (
            acme(),
            acme(status="churned", plan="starter"),
            [Notice("status", "active", "churned"), Notice("plan", "growth", "starter")],
        ),
        (None, acme(), [Notice("created", None, "active")]),
    ],
)
def test_customer_fields(before: Customer | None, after: Customer, notices: list[Notice]) -> None:
    assert list(worth(change(before, after), None).notices) == notices


@pytest.mark.parametrize(
    ("baseline", "previous", "score", "told", "new_baseline"),
    [
        (None, 72, 58, Notice("health", "72", "58"), 58),  # first score: from the previous
        (None, 72, 65, None, 72),  # 7 points: not yet
        (70, None, 60, Notice("health", "70", "60"), 60),  # exactly 10 below the baseline
        (70, None, 61, None, 70),
        (58, None, 55, None, 58),  # bouncing below the last told: quiet
        (58, None, 62, None, 62),  # a rise lifts the baseline
        (62, None, 52, Notice("health", "62", "52"), 52),
        (None, None, 40, None, 40),  # nothing to measure from: remembered only
    ],
)
def test_health_drops_with_hysteresis(
    baseline: int | None, previous: int | None, score: int, told: Notice | None, new_baseline: int
) -> None:
    after = Signals(health_score=score, previous_health_score=previous)
    result = worth(change(acme(), acme(), told=(None, after)), baseline)
    assert list(result.notices) == ([told] if told else [])
    assert result.baseline == new_baseline


def test_a_score_bouncing_around_a_threshold_is_told_once() -> None:
    baseline, told = 80, []
    for score in (69, 72, 68, 71, 69, 70):
        result = worth(change(acme(), acme(), told=(None, Signals(health_score=score))), baseline)
        told += list(result.notices)
        baseline = result.baseline if result.baseline is not None else baseline
    assert told == [Notice("health", "80", "69")]


def test_owner_changes_and_kinds_filter_what_is_told() -> None:
    told = (Signals(owner_email="a@example.com"), Signals(owner_email="b@example.com"))
    result = worth(change(acme(), acme(plan="scale"), told=told), None)
    assert Notice("owner", "a@example.com", "b@example.com") in result.notices
    assert result.for_kinds(frozenset({"owner"})) == (
        Notice("owner", "a@example.com", "b@example.com"),
    )
    assert len(result.for_kinds(DEFAULT_KINDS)) == 2


@pytest.mark.parametrize(
    ("was", "is_", "notice"),
    [
        (False, True, Notice("segment", None, "status:at_risk")),
        (True, False, Notice("segment", "status:at_risk", None)),
        (True, True, None),
        (False, False, None),
    ],
)
def test_entering_and_leaving_a_segment(was: bool, is_: bool, notice: Notice | None) -> None:
    assert segment_notice(was, is_, "status:at_risk") == notice


def test_the_same_change_has_the_same_key_everywhere() -> None:
    a = change(acme(), acme(plan="scale"), cause="walk")
    b = change(acme(plan="other"), acme(plan="scale"), cause="refetch")
    assert event_key(a) == event_key(b)  # the same new state, however it was seen
    assert event_key(a) != event_key(change(acme(), acme(plan="x"), cause="walk"))
    assert event_key(change(acme(), acme(), event_id="evt_1")) == "event:evt_1"


def test_the_first_owner_heard_is_not_news() -> None:
    customer = make_customer(42, "Acme")
    first = CustomerChanged(42, customer, customer, None, Signals(owner_email="a@example.com"),
                            "webhook", "e1")  # fmt: skip
    assert worth(first, None).notices == ()
    told = Signals(health_score=50, owner_email="a@example.com")
    unknown = CustomerChanged(42, customer, customer, Signals(health_score=50), told, "webhook",
                              "e2")  # fmt: skip
    assert worth(unknown, 50).notices == ()
