"""The demo's follows: `/customer follow 42`, then `/edit` shows the notification (a later
edit folded into it), and `/digest` sends a daily follow's digest on demand."""

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


async def test_follow_then_edit_shows_the_notification(session: Session) -> None:
    followed = await run(session, "/customer follow 42")
    assert "set this channel to follow Acme Co. (#42)" in followed
    printed = await run(session, "/edit 42 status=at_risk health=38")
    told, _, _ = printed.partition("only you see this")
    assert "posted in #general" in told and "Status: Active → At risk" in told
    assert "Health 63 → 38" in told
    folded = await run(session, "/edit 42 plan=growth")
    assert "updates the message in #general" in folded and "3 changes" in folded


async def test_digest_on_demand(session: Session) -> None:
    assert "No daily follow" in await run(session, "/digest")
    asked = await run(session, "/customer follow status:at_risk daily")
    number = re.search(r"\((\d+)\) \[Follow\]", asked)
    assert number, asked
    await run(session, number.group(1))
    assert "Daily digest for " in await run(session, "/digest")
