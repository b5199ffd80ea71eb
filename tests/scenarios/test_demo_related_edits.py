"""The demo's /edit-contact and /edit-onboarding: a change in the sandbox Pivotal and the
signed webhooks it sends to the running bot."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from bot.sandbox.demo.session import Session, slack_names
from bot.sandbox.demo.terminal import Style
from bot.sandbox.pivotal.deliveries import SANDBOX_WEBHOOK_SECRET
from bot.sandbox.pivotal.related_edits import parse_contact, parse_onboarding
from bot.sandbox.stack import local_stack
from tests.scenarios.test_demo_session import run


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with local_stack(
        log_level="WARNING", pivotal_webhook_secret=SANDBOX_WEBHOOK_SECRET
    ) as stack:
        stack.pivotal.deliver_to(f"{stack.url}/pivotal/webhooks", SANDBOX_WEBHOOK_SECRET)
        yield Session(stack, io.StringIO(), Style(False, slack_names()), raw_json=False)


async def test_a_new_contact_and_an_onboarding_change_reach_the_bot_signed(
    session: Session,
) -> None:
    printed = await run(session, "/edit-contact 42 name=Zoe_Walsh email=zoe@acme.com primary=yes")
    assert "signed contact.created; the bot answered 2" in printed
    contacts = session.stack.pivotal.related.contacts_of({"id": "cl9bn00of0000g7l8gcq8c4xk"})
    assert contacts[0]["name"] == "Zoe Walsh" and contacts[0]["is_primary"]
    await session.stack.wait_ready()
    sandbox = session.stack.pivotal
    customer = sandbox.store.get("10")
    assert customer is not None
    told = sandbox.related.onboardings_of(customer)[0]  # the newest: the one /edit-onboarding edits
    assert told["phase"] != "completed"
    printed = await run(session, "/edit-onboarding 10 phase=completed")
    assert "signed onboarding.phase_changed, onboarding.completed; the bot answered 2" in printed
    # The bot's book took the webhook: the card says so without waiting for the next walk.
    held = session.stack.deps.onboardings.current(told["customer_id"])
    assert held is not None and held.id == told["id"] and held.phase == "completed"
    printed = await run(session, "/edit-onboarding 10 notes=Call_booked")
    assert "it sends no webhook for that" in printed
    target = session.stack.pivotal.webhooks
    assert target is not None and len(target.delivered) == 3
    assert all(200 <= status < 300 for _, status in target.delivered)


@pytest.mark.parametrize(
    ("line", "words"),
    [("/edit-contact", "Usage"), ("/edit-contact 42", "Usage"),
     ("/edit-contact 42 title=CTO", "name or an email"),
     ("/edit-contact 42 name=X colour=red", "not a contact field"),
     ("/edit-contact 42 email=nope", "email address"), ("/edit-contact 99999 name=X", "HTTP 404"),
     ("/edit-contact 42 name=X email=maya.patel@acme.com", "HTTP 409"),
     ("/edit-onboarding", "Usage"), ("/edit-onboarding 10 phase=Go!", "snake_case"),
     ("/edit-onboarding 10 target=soon", "a date"),
     ("/edit-onboarding 10 waiting=maybe", "yes or no"),
     ("/edit-onboarding 13 phase=launch", "HTTP 404"),
     ("/edit-onboarding 10 phase", "field=value")],
)  # fmt: skip
async def test_refusals_are_clear(session: Session, line: str, words: str) -> None:
    assert words in await run(session, line)


def test_parsing() -> None:
    assert parse_contact("42 name=Zoe_Walsh labels=champion,exec_sponsor primary=no") == (
        "42",
        {"name": "Zoe Walsh", "labels": ["champion", "exec sponsor"], "is_primary": False},
    )
    assert parse_onboarding("10 phase=launch state=at_risk target=2027-01-15 waiting=yes") == (
        "10", {"phase": "launch", "state": "at_risk", "target_launch_date": "2027-01-15",
               "waiting_on_customer": True})  # fmt: skip
