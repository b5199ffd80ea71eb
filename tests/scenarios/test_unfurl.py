"""link_shared end to end: which links unfurl, how they are sent, and privacy in shared channels."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.scenarios.harness import Harness, running_bot

ACME = "https://my.pivotal.app/customers/42"
ACME_SLUG = "https://my.pivotal.app/customers/42-acme-co"
GLOBEX = "https://my.pivotal.app/customers/7"
AURORA = "https://my.pivotal.app/customers/aurora"


def header(unfurl: dict[str, Any]) -> str:
    return str(unfurl["blocks"][0]["text"]["text"])


async def one_unfurl(bot: Harness) -> dict[str, Any]:
    (call,) = await bot.slack.wait_for("chat.unfurl")
    return call.body


async def test_mixed_links_unfurl_in_one_call_keyed_by_exact_urls(bot: Harness) -> None:
    bot.pivotal.clear_requests()
    response = await bot.link_shared(
        [ACME, ACME_SLUG, GLOBEX, AURORA,
         "https://my.pivotal.app/customers/999",
         "https://example.com/customers/42",
         "https://my.pivotal.app/admin/api-keys"]
    )  # fmt: skip
    assert response.status_code == 200
    body = await one_unfurl(bot)
    unfurls = body["unfurls"]
    if isinstance(unfurls, str):
        unfurls = json.loads(unfurls)
    assert set(unfurls) == {ACME, ACME_SLUG, GLOBEX, AURORA}
    assert header(unfurls[ACME]) == "Acme Co."
    assert header(unfurls[ACME_SLUG]) == "Acme Co."
    assert header(unfurls[AURORA]) == "Aurora"
    assert body["channel"] == "C0GENERAL"
    assert body["ts"] == "1732560000.000100"
    # Only the unknown customer needed Pivotal; the rest came from the directory.
    assert bot.pivotal.customer_gets() == 1
    await asyncio.sleep(0.05)
    assert len(bot.slack.calls_to("chat.unfurl")) == 1


async def test_composer_unfurls_use_unfurl_id_and_source(bot: Harness) -> None:
    await bot.link_shared([ACME], unfurl_id="Uf123", source="composer")
    body = await one_unfurl(bot)
    assert body["unfurl_id"] == "Uf123"
    assert body["source"] == "composer"
    assert "ts" not in body


async def test_no_customer_links_no_call(bot: Harness) -> None:
    await bot.link_shared(["https://my.pivotal.app/customers/999", "https://example.com/x"])
    await asyncio.sleep(0.3)
    assert bot.slack.calls_to("chat.unfurl") == []


async def test_shared_channel_gets_name_and_open_button_only(bot: Harness) -> None:
    await bot.link_shared([ACME], ext_shared=True)
    body = await one_unfurl(bot)
    blocks = body["unfurls"][ACME]["blocks"]
    text = json.dumps(blocks)
    assert header(body["unfurls"][ACME]) == "Acme Co."
    for secret in ("1,250", "enterprise", "320", "cus_J5k9vX2bL8Q7Yz", "123456789", "abc123def456"):
        assert secret not in text
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["customer_open_pivotal", "customer_refresh"]


async def test_unknown_sharing_status_fails_closed(bot: Harness) -> None:
    bot.slack.set_channel("C0MYSTERY", error="channel_not_found")
    await bot.link_shared([ACME], channel="C0MYSTERY", ext_shared=None)
    body = await one_unfurl(bot)
    assert "1,250" not in json.dumps(body["unfurls"][ACME])


async def test_external_unfurls_off_sends_nothing() -> None:
    async with running_bot(external_unfurls="off") as bot:
        await bot.link_shared([ACME], ext_shared=True)
        await asyncio.sleep(0.3)
        assert bot.slack.calls_to("chat.unfurl") == []


async def test_external_unfurls_full_shows_everything() -> None:
    async with running_bot(external_unfurls="full") as bot:
        await bot.link_shared([ACME], ext_shared=True)
        body = await one_unfurl(bot)
        assert "$1,250" in json.dumps(body["unfurls"][ACME])


async def test_internal_channel_shows_full_card(bot: Harness) -> None:
    await bot.link_shared([ACME], ext_shared=False)
    body = await one_unfurl(bot)
    assert "$1,250" in json.dumps(body["unfurls"][ACME])


async def test_retried_event_is_processed_once(bot: Harness) -> None:
    await bot.link_shared([ACME], event_id="Ev0RETRY")
    await bot.slack.wait_for("chat.unfurl")
    retry = await bot.link_shared(
        [ACME], event_id="Ev0RETRY", headers={"X-Slack-Retry-Num": "1",
                                              "X-Slack-Retry-Reason": "http_timeout"}
    )  # fmt: skip
    assert retry.status_code == 200
    await asyncio.sleep(0.3)
    assert len(bot.slack.calls_to("chat.unfurl")) == 1


async def test_slack_rate_limit_on_unfurl_is_retried(bot: Harness) -> None:
    bot.slack.fail("chat.unfurl", "ratelimited", status=429, retry_after=1, count=1)
    await bot.link_shared([ACME])
    calls = await bot.slack.wait_for("chat.unfurl", count=2, timeout=5)
    assert len(calls) == 2


async def test_unfurl_error_is_logged_not_fatal(bot: Harness) -> None:
    bot.slack.fail("chat.unfurl", "cannot_unfurl_message", count=1)
    await bot.link_shared([ACME])
    await bot.slack.wait_for("chat.unfurl")
    await bot.link_shared([GLOBEX])
    calls = await bot.slack.wait_for("chat.unfurl", count=2)
    assert GLOBEX in calls[1].body["unfurls"]
