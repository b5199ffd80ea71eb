"""Promise 5: in a channel shared with another organisation, or when sharing status cannot be
read, an unfurl shows the name and an Open button only. EXTERNAL_UNFURLS=off|minimal|full
decides for shared channels; internal channels always get the full card.

tests/scenarios/test_unfurl.py covers the envelope flag, channel_not_found, off and full;
this module adds conversations.info, pending shares, other failures, cache invalidation on
channel_shared / channel_unshared, stale cards, DMs and slash commands.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.blocks import ids
from bot.sandbox.pivotal.data import sample_customers
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.slack.payloads import USER_ID
from tests.scenarios.harness import Harness, running_bot
from tests.security.support import assert_safe_card, customer_record, slash

MARKER = customer_record(
    777,
    name="Marker Corp",
    status="at_risk",
    plan="plan-MARKER",
    mrr=123_456_789,  # $1,234,567.89
    monthly_orders=4_242_424,
    domain="marker-domain.example",
    hubspot_company_id="HSCO-MARKER",
    hubspot_deal_id="HSDEAL-MARKER",
    stripe_customer_id="cus_MARKER",
    intercom_company_id="IC-MARKER",
    slack_channel_id="C0MARKER01",
)
URL = "https://my.pivotal.app/customers/777"
# Anything financial, or an integration id, that a full card shows and a minimal one must not.
PRIVATE = (
    "plan-MARKER",
    "1,234,567",
    "4,242,424",
    "HSCO-MARKER",
    "HSDEAL-MARKER",
    "cus_MARKER",
    "IC-MARKER",
    "At risk",
    "marker-domain",
)
QUIET = 0.3


@asynccontextmanager
async def marker_bot(**overrides: Any) -> AsyncIterator[Harness]:
    pivotal = SandboxPivotal(customers=[*sample_customers(), MARKER])
    async with running_bot(pivotal=pivotal, **overrides) as bot:
        yield bot


async def unfurl_for(
    bot: Harness, channel: str, *, ext_shared: bool | None, n: int = 1
) -> dict[str, Any]:
    """Post the marker link in `channel`; the n-th chat.unfurl's entry for it."""
    await bot.link_shared([URL], channel=channel, ext_shared=ext_shared)
    calls = await bot.slack.wait_for("chat.unfurl", count=n)
    unfurl: dict[str, Any] = calls[n - 1].body["unfurls"][URL]
    assert_safe_card(unfurl["blocks"], text=None, surface="unfurl")
    return unfurl


def assert_minimal(unfurl: dict[str, Any]) -> None:
    blocks = unfurl["blocks"]
    text = json.dumps(blocks, ensure_ascii=False)
    leaked = [value for value in PRIVATE if value in text]
    assert not leaked, f"a shared channel would see {leaked}"
    assert blocks[0]["text"]["text"] == "Marker Corp"
    assert {b["type"] for b in blocks} <= {"header", "context", "actions"}
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [ids.OPEN_PIVOTAL, ids.REFRESH_CUSTOMER]
    assert buttons[0]["url"] == URL


def assert_full(unfurl: dict[str, Any]) -> None:
    text = json.dumps(unfurl["blocks"], ensure_ascii=False)
    missing = [value for value in PRIVATE if value not in text]
    assert not missing, f"the full card lacks {missing}"


async def test_full_card_carries_every_marker_so_hiding_them_means_something() -> None:
    async with marker_bot() as bot:
        assert_full(await unfurl_for(bot, "C0INTERNAL", ext_shared=False))


async def test_conversations_info_decides_when_the_envelope_says_nothing() -> None:
    async with marker_bot() as bot:
        bot.slack.set_channel("C0SHARED", ext_shared=True)
        bot.slack.set_channel("C0INSIDE", ext_shared=False)
        assert_minimal(await unfurl_for(bot, "C0SHARED", ext_shared=None, n=1))
        assert_full(await unfurl_for(bot, "C0INSIDE", ext_shared=None, n=2))
        asked = [c.body.get("channel") for c in bot.slack.calls_to("conversations.info")]
        assert sorted(asked) == ["C0INSIDE", "C0SHARED"]
        # Known now: no second conversations.info for the same channel.
        assert_minimal(await unfurl_for(bot, "C0SHARED", ext_shared=None, n=3))
        assert len(bot.slack.calls_to("conversations.info")) == 2


async def test_a_pending_share_counts_as_shared() -> None:
    async with marker_bot() as bot:
        bot.slack.set_channel("C0PENDING", pending_ext_shared=True)
        assert_minimal(await unfurl_for(bot, "C0PENDING", ext_shared=None))


@pytest.mark.parametrize(
    ("error", "status"),
    [("missing_scope", 200), ("internal_error", 500), ("channel_not_found", 404)],
)
async def test_unreadable_sharing_status_fails_closed(error: str, status: int) -> None:
    async with marker_bot() as bot:
        bot.slack.fail("conversations.info", error, status=status)
        assert_minimal(await unfurl_for(bot, "C0UNKNOWN", ext_shared=None))
        assert bot.slack.calls_to("conversations.info")


async def test_sharing_changes_take_effect_on_channel_shared_and_unshared() -> None:
    async with marker_bot() as bot:
        bot.slack.set_channel("C0CHANGING", ext_shared=False)
        assert_full(await unfurl_for(bot, "C0CHANGING", ext_shared=None, n=1))
        bot.slack.set_channel("C0CHANGING", ext_shared=True)
        await sharing_event(bot, "channel_shared", "C0CHANGING")
        assert_minimal(await unfurl_for(bot, "C0CHANGING", ext_shared=None, n=2))
        bot.slack.set_channel("C0CHANGING", ext_shared=False)
        await sharing_event(bot, "channel_unshared", "C0CHANGING")
        assert_full(await unfurl_for(bot, "C0CHANGING", ext_shared=None, n=3))
        assert len(bot.slack.calls_to("conversations.info")) == 3


async def test_an_envelope_saying_internal_is_forgotten_when_the_channel_is_shared() -> None:
    async with marker_bot() as bot:
        assert_full(await unfurl_for(bot, "C0HINTED", ext_shared=False, n=1))
        bot.slack.set_channel("C0HINTED", ext_shared=True)
        await sharing_event(bot, "channel_shared", "C0HINTED")
        assert_minimal(await unfurl_for(bot, "C0HINTED", ext_shared=None, n=2))


async def sharing_event(bot: Harness, kind: str, channel: str) -> None:
    event = {
        "type": kind,
        "channel": channel,
        "connected_team_id": "T0OTHERORG",
        "event_ts": "1732560000.000300",
    }
    response = await bot.post(bot.event_body(event), "application/json")
    assert response.status_code == 200
    await asyncio.sleep(0.05)  # handled after the ack


async def test_a_stale_card_in_a_shared_channel_is_still_minimal() -> None:
    async with marker_bot(cache_ttl_seconds=0.05) as bot:
        await asyncio.sleep(0.1)
        bot.pivotal.set_fault("error_500")
        unfurl = await unfurl_for(bot, "C0SHARED", ext_shared=True)
        assert_minimal(unfurl)
        assert any(b.get("block_id") == ids.STALE_NOTE_BLOCK for b in unfurl["blocks"])


@pytest.mark.parametrize("setting", ["off", "minimal", "full"])
async def test_external_unfurls_setting_decides_for_shared_channels_only(setting: str) -> None:
    async with marker_bot(external_unfurls=setting) as bot:
        bot.slack.set_channel("C0PENDING", pending_ext_shared=True)
        for channel, flag in (("C0SHARED", True), ("C0PENDING", None)):
            await bot.link_shared([URL], channel=channel, ext_shared=flag)
        await asyncio.sleep(QUIET)
        shared = bot.slack.calls_to("chat.unfurl")
        if setting == "off":
            assert shared == []
        for call in shared:
            entry = call.body["unfurls"][URL]
            assert_full(entry) if setting == "full" else assert_minimal(entry)
        # Internal channels and DMs always get the full card, whatever the setting.
        assert_full(await unfurl_for(bot, "C0INSIDE", ext_shared=False, n=len(shared) + 1))
        assert_full(await unfurl_for(bot, "D0DIRECT", ext_shared=None, n=len(shared) + 2))
        assert not [
            c
            for c in bot.slack.calls_to("conversations.info")
            if c.body.get("channel") == "D0DIRECT"
        ]


SHARING = {
    "shared": {"ext_shared": True},
    "pending share": {"pending_ext_shared": True},
    "unreadable": {"error": "missing_scope"},
}


@pytest.mark.parametrize("channel", SHARING.values(), ids=SHARING.keys())
async def test_slash_answers_stay_private_and_share_posts_the_minimal_card(
    channel: dict[str, Any],
) -> None:
    async with marker_bot() as bot:
        bot.slack.set_channel("C0CONNECT", **channel)
        reply = await slash(bot, "777", channel_id="C0CONNECT")
        assert reply.message is not None
        assert reply.message.get("response_type", "ephemeral") == "ephemeral"
        (share,) = [
            e
            for b in reply.message["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ids.SHARE_CUSTOMER
        ]
        _, token = await bot.action(ids.SHARE_CUSTOMER, share["value"], channel_id="C0CONNECT")
        await bot.slack.wait_for_response(count=2)
        (posted,) = [
            p.body
            for p in bot.slack.responses
            if p.token == token and p.body.get("response_type") == "in_channel"
        ]
        assert_safe_card(
            posted["blocks"], text=posted["text"], surface="message", shared_by=USER_ID
        )
        assert_minimal(posted)
        leaked = [value for value in PRIVATE if value in posted["text"]]
        assert not leaked, f"the notification text would show {leaked}"
        assert bot.slack.calls_to("chat.postMessage") == []
