"""The card's onboarding line end to end: walked in the background, 0 GETs per card."""

from __future__ import annotations

import json
from typing import Any

from tests.scenarios.harness import running_bot


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + message.get("text", "")


async def test_the_card_shows_the_walked_onboarding_with_no_related_get() -> None:
    async with running_bot(wait_ready=False) as bot:
        await bot.wait_ready()
        assert bot.deps.onboardings.walked
        bot.pivotal.clear_requests()
        ack, _ = await bot.command("42")  # held since the walk: answered in the ack
        assert ack.status_code == 200
        answer = ack.json()
        assert "Onboarding: Completed · launch May 16, 2022" in texts(answer)
        assert bot.pivotal.related_gets() == 0


async def test_unfurls_show_the_onboarding_inside_and_never_in_slack_connect() -> None:
    acme = "https://my.pivotal.app/customers/42"
    async with running_bot() as bot:
        await bot.link_shared([acme], ext_shared=False)
        (call,) = await bot.slack.wait_for("chat.unfurl")
        assert "Onboarding: Completed" in json.dumps(call.body, ensure_ascii=False)
    async with running_bot() as bot:
        await bot.link_shared([acme], ext_shared=True)
        (call,) = await bot.slack.wait_for("chat.unfurl")
        assert "Onboarding" not in json.dumps(call.body, ensure_ascii=False)
