"""Picker options, choosing, Refresh, App Home and shortcuts over the real signed HTTP path."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.blocks import ids
from bot.sandbox.pivotal.data import ACME_ID
from tests.blockkit import assert_valid_message, assert_valid_view
from tests.scenarios.harness import Harness

PRIVATE = ("1,250", "125000", "enterprise", "cus_J5k9vX2bL8Q7Yz")


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


def header(message: dict[str, Any]) -> str:
    (block,) = [b for b in message["blocks"] if b["type"] == "header"]
    return str(block["text"]["text"])


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    (found,) = [
        e
        for b in message["blocks"]
        for e in ([*b.get("elements", [])] if b["type"] == "actions" else [b.get("accessory")])
        if isinstance(e, dict) and e.get("action_id") == action_id
    ]
    return found


# --- the options endpoint ---------------------------------------------------------------


async def test_options_answer_as_the_user_types(bot: Harness) -> None:
    response = await bot.suggest("acm")
    assert response.status_code == 200
    options = response.json()["options"]
    labels = [o["text"]["text"] for o in options]
    assert "Acme Co. · #42" in labels and "Acme Rockets · #29" in labels
    assert all(len(label) <= 75 for label in labels)
    assert not [p for p in PRIVATE if p in json.dumps(options)]
    assert all(ids.decode_customer_value(o["value"]) for o in options)
    # typos are forgiven; nothing typed or nothing close gives no options
    typo = (await bot.suggest("acmee")).json()["options"]
    assert "Acme Co. · #42" in [o["text"]["text"] for o in typo]
    for value in ("", "zzzzqqq", "x" * 10_000, "<!channel>"):
        assert (await bot.suggest(value)).json() == {"options": []}
    assert bot.pivotal.customer_gets() == 0  # answered from memory


async def test_at_most_100_options(bot: Harness) -> None:
    acme = bot.deps.directory.get("42")
    assert acme is not None
    # The sandbox has 61 customers: load 150 shops straight into the index.
    shops = [
        acme.customer.model_copy(update={"id": f"c{n}", "display_id": n, "name": f"Shop {n}"})
        for n in range(1000, 1150)
    ]
    bot.deps.directory.load(shops)
    options = (await bot.suggest("shop")).json()["options"]
    assert len(options) == 100


async def test_choosing_an_option_shows_the_card_in_place(bot: Harness) -> None:
    ack, _ = await bot.command("acm")
    picker = button(ack.json(), ids.PICKER)
    assert picker["type"] == "external_select" and picker["min_query_length"] == 1
    option = (await bot.suggest("acme co")).json()["options"][0]
    response, token = await bot.choose(option["value"])
    assert response.status_code == 200
    card = await bot.answer(token)
    assert card["replace_original"] is True
    assert header(card) == "Acme Co."
    assert_valid_message(card["blocks"], text=card["text"], channel="C024BE7LT")


# --- Refresh ----------------------------------------------------------------------------


async def test_refresh_fetches_now_and_redraws_the_ephemeral_card(bot: Harness) -> None:
    card = (await bot.command("42"))[0].json()
    before = bot.pivotal.customer_gets()
    container = {"type": "message", "is_ephemeral": True, "channel_id": "C0GENERAL"}
    value = button(card, ids.REFRESH_CUSTOMER)["value"]
    response, token = await bot.press_in(ids.REFRESH_CUSTOMER, value, container=container)
    assert response.status_code == 200
    redrawn = await bot.answer(token)
    assert redrawn["replace_original"] is True
    assert "Updated just now" in texts(redrawn)
    assert button(redrawn, ids.SHARE_CUSTOMER)  # still shareable: it is still private
    assert_valid_message(redrawn["blocks"], text=redrawn["text"], channel="C024BE7LT")
    assert bot.pivotal.customer_gets() == before + 1


async def test_twenty_clicks_cost_one_upstream_request(bot: Harness) -> None:
    before = bot.pivotal.customer_gets()
    container = {"type": "message", "is_ephemeral": True, "channel_id": "C0GENERAL"}
    value = ids.encode_customer_value(ACME_ID)
    clicks = await asyncio.gather(
        *(bot.press_in(ids.REFRESH_CUSTOMER, value, container=container) for _ in range(20))
    )
    assert all(r.status_code == 200 for r, _ in clicks)
    for _, token in clicks:
        assert "Updated just now" in texts(await bot.answer(token))
    assert bot.pivotal.customer_gets() == before + 1


async def test_a_failed_refresh_keeps_the_card_and_says_why(bot: Harness) -> None:
    bot.pivotal.set_fault("error_500")
    container = {"type": "message", "is_ephemeral": True, "channel_id": "C0GENERAL"}
    value = ids.encode_customer_value(ACME_ID)
    _, token = await bot.press_in(ids.REFRESH_CUSTOMER, value, container=container)
    told = await bot.answer(token)
    assert told["replace_original"] is False
    assert told.get("response_type", "ephemeral") == "ephemeral"
    assert "Pivotal is not answering" in texts(told)


async def test_refresh_on_a_posted_card_uses_chat_update(bot: Harness) -> None:
    container = {"type": "message", "is_ephemeral": False, "channel_id": "C0GENERAL",
                 "message_ts": "1700000001.000001"}  # fmt: skip
    value = ids.encode_customer_value(ACME_ID)
    await bot.press_in(ids.REFRESH_CUSTOMER, value, container=container)
    (update,) = await bot.slack.wait_for("chat.update")
    assert update.body["channel"] == "C0GENERAL"
    assert update.body["ts"] == "1700000001.000001"
    assert "Updated just now" in json.dumps(update.body["blocks"])


async def test_refresh_on_a_shared_card_keeps_who_shared_it(bot: Harness) -> None:
    container = {"type": "message", "is_ephemeral": False, "channel_id": "C0GENERAL",
                 "message_ts": "1700000001.000002"}  # fmt: skip
    posted = {"blocks": [{"type": "context", "block_id": ids.CARD_CONTEXT_BLOCK, "elements": [
        {"type": "mrkdwn", "text": "*#42* · Shared by <@U0SHARER>"}]}]}  # fmt: skip
    value = ids.encode_customer_value(ACME_ID)
    await bot.press_in(ids.REFRESH_CUSTOMER, value, container=container, message=posted)
    (update,) = await bot.slack.wait_for("chat.update")
    assert "Shared by <@U0SHARER>" in json.dumps(update.body["blocks"])


async def test_refresh_on_an_unfurl_unfurls_again_minimal_in_shared_channels(
    bot: Harness,
) -> None:
    bot.slack.set_channel("C0SHARED", ext_shared=True)
    url = "https://my.pivotal.app/customers/42-acme-co"
    container = {"type": "message_attachment", "is_app_unfurl": True, "channel_id": "C0SHARED",
                 "message_ts": "1700000002.000002", "attachment_id": 1}  # fmt: skip
    await bot.press_in(ids.REFRESH_CUSTOMER, ids.encode_customer_value("42"), container=container,
                    channel_id="C0SHARED", app_unfurl={"id": 1, "app_unfurl_url": url})  # fmt: skip
    (unfurl,) = await bot.slack.wait_for("chat.unfurl")
    assert unfurl.body["ts"] == "1700000002.000002"
    blocks = unfurl.body["unfurls"][url]["blocks"]
    assert not [p for p in PRIVATE if p in json.dumps(blocks)]
    assert_valid_message(blocks, surface="unfurl")


# --- App Home ---------------------------------------------------------------------------


async def test_home_shows_my_recent_lookups_and_publishes_only_changes(bot: Harness) -> None:
    await bot.lookup("42", channel_id="C0GENERAL")
    await bot.lookup("7")
    await bot.home_opened()
    (first,) = await bot.slack.wait_for("views.publish")
    view = first.body["view"]
    assert first.body["user_id"] == "U0PERSON"
    assert_valid_view(view)
    text = json.dumps(view)
    assert text.index("Globex Corporation") < text.index("Acme Co.")  # latest first
    assert not [p for p in PRIVATE if p in text]
    await bot.home_opened(view={"id": "V1", "hash": "h1"})
    await bot.lookup("5")
    await bot.home_opened(view={"id": "V1", "hash": "h2"})
    calls = await bot.slack.wait_for("views.publish", count=2)
    assert len(calls) == 2  # the unchanged tab was not published again
    assert calls[1].body["hash"] == "h2"
    assert "Stark Logistics" in json.dumps(calls[1].body["view"])


async def test_home_lists_customers_linked_to_channels_i_looked_up_from(bot: Harness) -> None:
    await bot.lookup("7", channel_id="C024BE7LT")  # Acme's channel
    await bot.home_opened()
    (call,) = await bot.slack.wait_for("views.publish")
    text = json.dumps(call.body["view"])
    assert "Linked to channels you looked up from" in text
    assert "Acme Co." in text


async def test_choosing_in_home_opens_a_modal_with_the_card(bot: Harness) -> None:
    home = {"id": "VHOME", "type": "home", "hash": "h"}
    await bot.choose(ids.encode_customer_value(ACME_ID), channel_id=None, view=home)
    (opened,) = await bot.slack.wait_for("views.open")
    assert opened.body["trigger_id"].endswith(".trigger")
    assert_valid_view(opened.body["view"], channel="C024BE7LT")
    assert "Acme Co." in json.dumps(opened.body["view"])


# --- shortcuts --------------------------------------------------------------------------


async def test_message_shortcut_finds_links_numbers_and_names(bot: Harness) -> None:
    _, token = await bot.message_shortcut("Did Acme Co. renew? Also see #7.")
    listed = await bot.answer(token)
    assert listed.get("response_type", "ephemeral") == "ephemeral"
    assert "2 customers match" in texts(listed)
    assert "Acme Co." in texts(listed) and "Globex Corporation" in texts(listed)
    _, token = await bot.message_shortcut("look at https://my.pivotal.app/customers/42-acme-co")
    assert header(await bot.answer(token)) == "Acme Co."
    _, token = await bot.message_shortcut("lunch at noon?")
    nothing = await bot.answer(token)
    assert "No customer link" in texts(nothing)
    assert button(nothing, ids.PICKER)["type"] == "external_select"


async def test_global_shortcut_modal_pick_then_share(bot: Harness) -> None:
    response = await bot.global_shortcut()
    assert response.status_code == 200
    (opened,) = await bot.slack.wait_for("views.open")
    modal = {**opened.body["view"], "id": "VFIND", "hash": "h0"}
    assert_valid_view(opened.body["view"])
    await bot.choose(ids.encode_customer_value(ACME_ID), view=modal)
    (updated,) = await bot.slack.wait_for("views.update")
    card_view = updated.body["view"]
    assert_valid_view(card_view, channel="C024BE7LT")
    assert updated.body["view_id"] == "VFIND"
    values = {ids.SHARE_TARGET_BLOCK: {ids.SHARE_TARGET: {
        "type": "conversations_select", "selected_conversation": "C0TEAM"}}}  # fmt: skip
    ack = await bot.submit_view({**card_view, "id": "VFIND"}, values)
    assert ack.status_code == 200
    assert ack.json()["response_action"] == "update"
    (posted,) = await bot.slack.wait_for("chat.postMessage")
    assert posted.body["channel"] == "C0TEAM"
    assert "Shared by <@U0PERSON>" in json.dumps(posted.body["blocks"])
    calls = await bot.slack.wait_for("views.update", count=2)
    assert "Shared in <#C0TEAM>" in json.dumps(calls[-1].body["view"])


async def test_sharing_from_the_modal_needs_a_target(bot: Harness) -> None:
    view = {"id": "VFIND", "type": "modal", "callback_id": ids.FIND_MODAL,
            "private_metadata": ACME_ID, "blocks": []}  # fmt: skip
    ack = await bot.submit_view(view, {})
    assert ack.json()["response_action"] == "errors"
    assert bot.slack.calls_to("chat.postMessage") == []
