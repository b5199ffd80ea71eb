"""Live cards: a shared card and an unfurl are re-rendered when a webhook changes them."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.blocks import ids
from bot.lookup.changed import CustomerChanged, Subscribers
from bot.lookup.changes import Changes, LookupCopies
from bot.sandbox.pivotal.data import ACME_ID
from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from tests.scenarios.harness import Harness, running_bot, until
from tests.scenarios.test_metrics import value
from tests.scenarios.test_share import share_value

SECRET = new_secret()
LINK = "https://my.pivotal.app/customers/42"


@pytest.fixture
async def bot() -> AsyncIterator[Harness]:
    async with running_bot(pivotal_webhook_secret=SECRET) as bot:
        assert bot.deps.live is not None
        bot.deps.live.gap = 0.0
        yield bot


async def change_acme(bot: Harness, **changes: Any) -> None:
    (row,) = [c for c in bot.pivotal.customers if c["display_id"] == 42]
    later = datetime.fromisoformat(row["updated_at"]) + timedelta(minutes=1)
    obj = {**row, **changes, "updated_at": later.isoformat().replace("+00:00", "Z")}
    sender = WebhookSender(f"{bot.url}/pivotal/webhooks", SECRET, bot.http)
    assert (await sender.deliver(envelope("customer.updated", obj))).status_code == 202


async def share(bot: Harness, channel: str = "C0GENERAL") -> dict[str, Any]:
    card = await bot.lookup("42", channel_id=channel)
    await bot.action(ids.SHARE_CUSTOMER, share_value(card), channel_id=channel)
    (posted,) = await bot.slack.wait_for("chat.postMessage")
    await until(lambda: bot.deps.live is not None and len(bot.deps.live) >= 1)
    return dict(posted.body)


async def test_a_shared_card_follows_its_customer(bot: Harness) -> None:
    posted = await share(bot)
    assert "$1,250" in json.dumps(posted["blocks"])
    await change_acme(bot, plan="growth", mrr=150000)
    (update,) = await bot.slack.wait_for("chat.update")
    body = update.body
    assert body["channel"] == "C0GENERAL" and body["ts"]
    assert "$1,500" in json.dumps(body["blocks"]) and "Shared by <@U0PERSON>" in json.dumps(body)


async def test_a_shared_card_in_a_connect_channel_stays_minimal(bot: Harness) -> None:
    bot.slack.set_channel("C0CONNECT", ext_shared=True)
    await share(bot, "C0CONNECT")
    await change_acme(bot, name="Acme Renamed", mrr=150000)
    (update,) = await bot.slack.wait_for("chat.update")
    text = json.dumps(update.body)
    assert "Acme Renamed" in text and "1,500" not in text


async def test_an_unfurl_follows_its_customer(bot: Harness) -> None:
    await bot.link_shared([LINK])
    await bot.slack.wait_for("chat.unfurl")
    await until(lambda: bot.deps.live is not None and len(bot.deps.live) == 1)
    await change_acme(bot, plan="growth")
    calls = await bot.slack.wait_for("chat.unfurl", count=2)
    again = calls[-1].body
    assert "growth" in json.dumps(again["unfurls"][LINK]["blocks"])


async def test_a_deleted_message_is_dropped_quietly(bot: Harness) -> None:
    await share(bot)
    await until(lambda: bot.deps.live is not None and len(bot.deps.live) == 1)
    assert bot.deps.live is not None
    bot.slack.fail("chat.update", "message_not_found")
    await change_acme(bot, plan="growth")
    await bot.slack.wait_for("chat.update")
    await until(lambda: bot.deps.live is not None and bot.deps.live.dropped == 1)
    assert len(bot.deps.live) == 0
    bot.slack.clear_faults()
    await change_acme(bot, plan="scale")
    await asyncio.sleep(0.2)  # nothing is queued, so nothing may arrive
    assert len(bot.slack.calls_to("chat.update")) == 1


async def test_without_webhooks_share_still_answers_at_the_response_url() -> None:
    async with running_bot() as bot:
        assert bot.deps.live is None
        card = await bot.lookup("42")
        _, token = await bot.action(ids.SHARE_CUSTOMER, share_value(card))
        await until(lambda: any(p.token == token for p in bot.slack.responses))
        assert not bot.slack.calls_to("chat.postMessage")


async def test_ratelimited_update_waits_and_goes_through(bot: Harness) -> None:
    await share(bot)
    bot.slack.fail("chat.update", "ratelimited", status=429, retry_after=1, count=1)
    await change_acme(bot, plan="growth")
    calls = await bot.slack.wait_for("chat.update", count=2, timeout=10)
    assert "growth" in json.dumps(calls[-1].body["blocks"])
    await until(lambda: bot.deps.live is not None and bot.deps.live.updates == 1)


async def test_metrics_count_applied_webhooks_and_live_card_updates(bot: Harness) -> None:
    await share(bot)
    await change_acme(bot, plan="growth")
    await bot.slack.wait_for("chat.update")
    await until(lambda: bot.deps.live is not None and bot.deps.live.updates == 1)
    page = (await bot.http.get(f"{bot.url}/metrics")).text
    assert value(page, "pivotal_bot_webhooks_applied_total") == 1
    assert value(page, "pivotal_bot_live_card_updates_total") == 1
    assert value(page, "pivotal_bot_live_cards") == 1
    assert value(page, "pivotal_bot_live_cards_dropped_total") == 0
    assert "C0GENERAL" not in page and "Acme" not in page


async def test_a_change_from_another_replica_is_told_even_when_the_copy_is_already_here(
    bot: Harness,
) -> None:
    assert bot.deps.hooks is not None
    heard: list[CustomerChanged] = []

    async def hear(change: CustomerChanged) -> None:
        heard.append(change)

    async def never(change: CustomerChanged) -> None:
        raise AssertionError("a peer's change reached a once-per-change subscriber")

    subscribers = Subscribers(every_replica=(hear,), once=(never,))
    changes = Changes(LookupCopies(bot.deps.lookup), bot.deps.signals, subscribers=subscribers)
    hooks = dataclasses.replace(bot.deps.hooks, changes=changes)
    await bot.lookup("42")
    copy = hooks.changes.best(42)
    assert copy is not None
    # The other replica's copy arrived here first through the shared cache.
    change = {"display_id": 42, "customer": copy.customer.model_dump(mode="json")}
    await hooks.receive(change)
    assert [c.display_id for c in heard] == [42]
    await hooks.receive({"display_id": 42, "customer": None, "signals": {"health_score": 40}})
    assert [c.display_id for c in heard] == [42, 42]
    assert heard[1].signals_after is not None and heard[1].signals_after.health_score == 40
    assert {c.origin for c in heard} == {"peer"}
    await hooks.receive({"display_id": "not a number"})  # unreadable: logged, nothing told
    assert len(heard) == 2


async def share_from_the_modal(bot: Harness, channel: str) -> dict[str, Any]:
    """Find a customer (global shortcut), pick Acme, share it to `channel`; the card view."""
    await bot.global_shortcut()
    (opened,) = await bot.slack.wait_for("views.open")
    modal = {**opened.body["view"], "id": "VFIND", "hash": "h0"}
    await bot.choose(ids.encode_customer_value(ACME_ID), view=modal)
    (updated,) = await bot.slack.wait_for("views.update")
    card_view: dict[str, Any] = updated.body["view"]
    values = {ids.SHARE_TARGET_BLOCK: {ids.SHARE_TARGET: {
        "type": "conversations_select", "selected_conversation": channel}}}  # fmt: skip
    assert (await bot.submit_view({**card_view, "id": "VFIND"}, values)).status_code == 200
    await bot.slack.wait_for("chat.postMessage")
    return card_view


async def test_a_card_shared_from_the_modal_follows_its_customer_too(bot: Harness) -> None:
    await share_from_the_modal(bot, "C0TEAM")
    await until(lambda: bot.deps.live is not None and len(bot.deps.live) == 1)
    await change_acme(bot, plan="growth", mrr=150000)
    (update,) = await bot.slack.wait_for("chat.update")
    assert update.body["channel"] == "C0TEAM"
    assert "$1,500" in json.dumps(update.body["blocks"])
    assert "Shared by <@U0PERSON>" in json.dumps(update.body["blocks"])


async def test_the_modal_card_and_its_share_show_what_webhooks_told(bot: Harness) -> None:
    await change_acme(bot, health_score=38, previous_health_score=72,
                      owner_email="csm@example.com")  # fmt: skip
    card_view = await share_from_the_modal(bot, "C0TEAM")
    assert "38, down from 72" in json.dumps(card_view["blocks"])
    (posted,) = bot.slack.calls_to("chat.postMessage")
    assert "38, down from 72" in json.dumps(posted.body["blocks"])


async def test_refresh_keeps_the_health_webhooks_told(bot: Harness) -> None:
    await change_acme(bot, health_score=38, previous_health_score=72)
    await until(lambda: bot.deps.hooks is not None and bot.deps.hooks.applied == 1)
    card = (await bot.command("42"))[0].json()
    assert "38, down from 72" in json.dumps(card["blocks"])
    container = {"type": "message", "is_ephemeral": True, "channel_id": "C0GENERAL"}
    value = ids.encode_customer_value(ACME_ID)
    _, token = await bot.press_in(ids.REFRESH_CUSTOMER, value, container=container)
    redrawn = await bot.answer(token)
    assert "Updated just now" in json.dumps(redrawn["blocks"])
    assert "38, down from 72" in json.dumps(redrawn["blocks"])
