"""The Share button: an ephemeral card goes to the channel, minding shared channels."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.blocks import ids
from bot.blocks.message import CardMode
from bot.sandbox.pivotal.deliveries import new_secret
from tests.scenarios.harness import Harness, running_bot, until


def share_value(message: dict[str, Any]) -> str:
    (button,) = [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.SHARE_CUSTOMER
    ]
    return str(button["value"])


async def posts(bot: Harness, token: str, count: int) -> list[dict[str, Any]]:
    for _ in range(500):
        found = [dict(p.body) for p in bot.slack.responses if p.token == token]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.01)
    raise TimeoutError(f"expected {count} posts to {token}")


async def test_share_posts_the_card_in_channel_and_removes_the_ephemeral(bot: Harness) -> None:
    card = await bot.lookup("42")
    response, token = await bot.action(ids.SHARE_CUSTOMER, share_value(card))
    assert response.status_code == 200
    shared, deleted = await posts(bot, token, 2)
    assert shared["response_type"] == "in_channel"
    assert shared["blocks"][0]["text"]["text"] == "Acme Co."
    text = json.dumps(shared["blocks"])
    assert "$1,250" in text
    assert "Shared by <@U0PERSON>" in text
    assert ids.SHARE_CUSTOMER not in text
    assert deleted["delete_original"] is True


async def test_share_in_a_slack_connect_channel_hides_financials(bot: Harness) -> None:
    bot.slack.set_channel("C0CONNECT", ext_shared=True)
    card = await bot.lookup("42", channel_id="C0CONNECT")
    _, token = await bot.action(ids.SHARE_CUSTOMER, share_value(card), channel_id="C0CONNECT")
    shared, _ = await posts(bot, token, 2)
    text = json.dumps(shared)
    assert shared["blocks"][0]["text"]["text"] == "Acme Co."
    for private in ("1,250", "enterprise", "cus_J5k9vX2bL8Q7Yz"):
        assert private not in text


async def test_share_refused_where_external_unfurls_are_off() -> None:
    async with running_bot(external_unfurls="off") as bot:
        bot.slack.set_channel("C0CONNECT", ext_shared=True)
        card = await bot.lookup("42", channel_id="C0CONNECT")
        _, token = await bot.action(ids.SHARE_CUSTOMER, share_value(card), channel_id="C0CONNECT")
        (answer,) = await posts(bot, token, 1)
        assert answer["response_type"] == "ephemeral"
        assert "shared with another organisation" in answer["text"]
        await asyncio.sleep(0.1)
        assert len([p for p in bot.slack.responses if p.token == token]) == 1


async def test_forged_share_value_is_refused(bot: Harness) -> None:
    _, token = await bot.action(ids.SHARE_CUSTOMER, "customer:../../me")
    (answer,) = await posts(bot, token, 1)
    assert "out of date" in answer["text"]
    assert bot.pivotal.customer_gets() == 0


async def test_refresh_on_a_kept_card_credits_the_sharer_the_registry_recorded() -> None:
    async with running_bot(pivotal_webhook_secret=new_secret()) as bot:
        live = bot.deps.live
        assert live is not None
        card = await bot.lookup("42")
        await bot.action(ids.SHARE_CUSTOMER, share_value(card))
        await bot.slack.wait_for("chat.postMessage")
        await until(lambda: len(live) == 1)
        (kept,) = await live.registry.cards(42)
        assert kept.shared_by == "U0PERSON" and kept.mode is CardMode.FULL
        # What the message says is not read back: its context line could say anything.
        edited = {"blocks": [{"type": "context", "block_id": ids.CARD_CONTEXT_BLOCK, "elements": [
            {"type": "mrkdwn", "text": "*#42* · Shared by <@U0SOMEONE>"}]}]}  # fmt: skip
        container = {"type": "message", "is_ephemeral": False, "channel_id": "C0GENERAL",
                     "message_ts": kept.ts}  # fmt: skip
        await bot.press_in(ids.REFRESH_CUSTOMER, ids.encode_customer_value("42"),
                           container=container, message=edited)  # fmt: skip
        (update,) = await bot.slack.wait_for("chat.update")
        assert update.body["ts"] == kept.ts
        blocks = json.dumps(update.body["blocks"])
        assert "Shared by <@U0PERSON>" in blocks and "U0SOMEONE" not in blocks
