"""The demo's /edit: a card, an edit in the sandbox Pivotal, the card again from the webhook."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import pytest

from bot.sandbox.demo.session import Session, slack_names
from bot.sandbox.demo.terminal import Style
from bot.sandbox.pivotal.deliveries import SANDBOX_WEBHOOK_SECRET
from bot.sandbox.stack import local_stack
from tests.scenarios.test_demo_session import run


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with local_stack(
        log_level="WARNING", pivotal_webhook_secret=SANDBOX_WEBHOOK_SECRET
    ) as stack:
        stack.pivotal.deliver_to(f"{stack.url}/pivotal/webhooks", SANDBOX_WEBHOOK_SECRET)
        yield Session(stack, io.StringIO(), Style(False, slack_names()), raw_json=False)


async def test_edit_reaches_the_card_through_the_signed_webhook(session: Session) -> None:
    assert "$1,250" in await run(session, "/customer 42")
    printed = await run(session, "/edit 42 plan=growth mrr=150000")
    assert "signed customer.updated; the bot answered 202 and applied 1 change" in printed
    assert "Plan:" in printed and "growth" in printed and "$1,500" in printed
    assert "0 GET" in printed


async def test_edit_redraws_the_cards_shared_and_unfurled_before(session: Session) -> None:
    card = await run(session, "/customer 42")
    number = re.search(r"\((\d+)\) \[Share in channel\]", card)
    assert number, card
    await run(session, number.group(1))
    await run(session, "https://my.pivotal.app/customers/42")
    printed = await run(session, "/edit 42 plan=growth mrr=150000")
    redrawn, _, shown_again = printed.partition("only you see this")
    assert "updates the message in #general" in redrawn and "Shared by @pat" in redrawn
    assert "preview of https://my.pivotal.app/customers/42" in redrawn
    assert redrawn.count("$1,500") == 2 and "$1,500" in shown_again
    assert "more cards are queued" not in printed


async def test_edit_sets_what_only_webhooks_carry(session: Session) -> None:
    printed = await run(session, "/edit 42 status=at_risk health=38")
    assert "38, down from 63" in printed and "At risk" in printed
    alone = await run(session, "/edit 42 owner=pat@sandbox.example health=30")  # no PATCH
    assert "30, down from 38" in alone and "pat@sandbox.example" in alone
    assert [body for _, body in session.stack.pivotal.patches()] == [{"status": "at_risk"}]


@pytest.mark.parametrize(
    ("line", "words"),
    [("/edit", "Usage"), ("/edit 42 health=101", "0 to 100"), ("/edit 42 owner=nobody", "email"),
     ("/edit 42", "Usage"), ("/edit acme plan=x", "Usage"),
     ("/edit 42 plan", "field=value"), ("/edit 42 color=red", "known field"),
     ("/edit 42 mrr=lots", "whole number"), ("/edit 99999 plan=x", "HTTP 404")],
)  # fmt: skip
async def test_edit_refuses_with_a_clear_message(session: Session, line: str, words: str) -> None:
    assert words in await run(session, line)
