"""The card's onboarding line: phases, states, launch dates; hidden in minimal mode."""

from __future__ import annotations

from datetime import date

import pytest

from bot.blocks.related import how_far, onboarding_line
from bot.pivotal.related import Onboarding

TODAY = date(2026, 12, 5)


def onb(**kw: object) -> Onboarding:
    data: dict[str, object] = {"id": "o1", "customer_id": "cus_1", "phase": "launch",
                               "state": "at_risk"}  # fmt: skip
    data.update(kw)
    return Onboarding.model_validate(data)


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (date(2026, 12, 17), "in 12 days"),
        (date(2026, 12, 6), "tomorrow"),
        (date(2026, 12, 5), "today"),
        (date(2026, 12, 4), "1 day late"),
        (date(2026, 12, 2), "3 days late"),
    ],
)
def test_how_far(target: date, words: str) -> None:
    assert how_far(target, TODAY) == words


@pytest.mark.parametrize(
    ("kw", "line"),
    [
        ({"target_launch_date": "2026-12-17"},
         "Onboarding: Launch · step 6 of 7 · At risk · launch Dec 17 (in 12 days)"),
        ({"phase": "program_design", "state": "active"},
         "Onboarding: Program design · step 2 of 7 · Active"),
        ({"phase": "kickoff", "state": "paused", "target_launch_date": "2026-12-02T00:00:00Z"},
         "Onboarding: Kickoff · Paused · launch Dec 2 (3 days late)"),
        ({"state": "active", "waiting_on_customer": True},
         "Onboarding: Launch · step 6 of 7 · Active · waiting on customer"),
        ({"phase": "completed", "state": "active", "target_launch_date": "2022-05-16"},
         "Onboarding: Completed · launch May 16, 2022"),
        ({"state": "done", "target_launch_date": "2026-11-01"},
         "Onboarding: Launch · launch Nov 1, 2026"),
        ({"phase": "<data_migration>", "state": "waiting"},
         "Onboarding: &lt;data migration&gt; · Waiting"),
    ],
)  # fmt: skip
def test_onboarding_line(kw: dict[str, object], line: str) -> None:
    assert onboarding_line(onb(**kw), TODAY) == line


def _texts(message: object) -> str:
    return str(getattr(message, "blocks", ""))


def test_card_shows_the_line_in_full_mode_only() -> None:
    from bot.blocks.customer import customer_card
    from bot.blocks.message import CardSettings
    from tests.unit.customers import make_customer

    cards = CardSettings(app_url="https://app.pivotal.example")
    current = onb(target_launch_date="2026-12-17")
    line = "Onboarding: Launch · step 6 of 7 · At risk · launch Dec 17 (in 12 days)"
    text = onboarding_line(current, TODAY)
    assert text == line
    full = customer_card(make_customer(42), cards=cards, onboarding=text)
    assert line in _texts(full)
    minimal = customer_card(make_customer(42), cards=cards, onboarding=text, minimal=True)
    assert "Onboarding:" not in _texts(minimal)
    assert "Onboarding:" not in _texts(customer_card(make_customer(42), cards=cards))
