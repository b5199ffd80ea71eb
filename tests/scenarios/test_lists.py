"""Lists of customers over the real HTTP path: `/customer <filter>`, its pages, Show, Share.

Expected counts, MRR totals and orders are worked out here from the sandbox's sample
customers (bot/sandbox/pivotal/data.py), not read back from the bot.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest

from bot.blocks import ids
from bot.pivotal.webhooks import CUSTOMER_EVENTS
from bot.sandbox.pivotal.data import sample_customers
from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from bot.sandbox.slack.payloads import USER_ID
from tests.scenarios.harness import Harness, running_bot, until

SECRET = new_secret()
ASKER = "pat@corp.example"  # what users.info says of the asker in the webhook tests
Customer = dict[str, Any]
_ROW_ID = re.compile(r"\* #(\d+) ·")


# ---- what the sample data says ------------------------------------------------------------


def customers(**changes: dict[str, Any]) -> list[Customer]:
    """The sample customers, with `changes` (by display id, e.g. c42={...}) applied."""
    out = []
    for c in sample_customers():
        out.append({**c, **changes.get(f"c{c['display_id']}", {})})
    return out


def _folded(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.casefold()).split())


def _by_mrr(c: Customer) -> tuple[bool, int, str, int]:
    return c["mrr"] is None, -(c["mrr"] or 0), c["name"].casefold(), c["display_id"]


SORTS: dict[str, Callable[[Customer], Any]] = {
    "mrr": _by_mrr,
    "name": lambda c: _folded(c["name"]),
    "updated": lambda c: -datetime.fromisoformat(c["updated_at"]).timestamp(),
}


def expected(
    keep: Callable[[Customer], bool], sort: str = "mrr", rows: list[Customer] | None = None
) -> list[Customer]:
    chosen = sorted((c for c in rows or customers() if keep(c)), key=_by_mrr)
    return chosen if sort == "mrr" else sorted(chosen, key=SORTS[sort])  # stable: MRR ties


def dollars(found: list[Customer]) -> str:
    cents = sum(c["mrr"] or 0 for c in found)
    return f"${cents // 100:,}" + (f".{cents % 100:02d}" if cents % 100 else "")


def status_is(*statuses: str) -> Callable[[Customer], bool]:
    return lambda c: c["status"] in statuses


def active_enterprise(c: Customer) -> bool:
    return c["status"] == "active" and c["plan"] == "enterprise"


# ---- reading what the bot said ------------------------------------------------------------


def texts(message: dict[str, Any]) -> list[str]:
    """Every mrkdwn text of the message's blocks, in order."""
    out = []
    for block in message.get("blocks") or []:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), str):
                out.append(element["text"])
    return out


def row_ids(message: dict[str, Any]) -> list[int]:
    return [int(m.group(1)) for t in texts(message) if (m := _ROW_ID.search(t))]


def head(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


def footer(message: dict[str, Any]) -> str:
    (found,) = [t for t in texts(message) if t.startswith("Page ")]
    return found


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    """The button labelled `label` (in an actions block or a section's accessory)."""
    for block in message.get("blocks") or []:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return {**element, "block_id": "b1", "action_ts": "1732560000.1"}
    raise AssertionError(f"no {label!r} button in {texts(message)}")


def labels(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions"
            for e in b["elements"]]  # fmt: skip


async def ack_of(bot: Harness, text: str, channel_id: str = "C0GENERAL") -> dict[str, Any]:
    """The list carried by the ack itself (the index is warm); fails if it came later."""
    ack, token = await bot.command(text, channel_id=channel_id)
    assert ack.status_code == 200
    assert ack.content, f"/customer {text}: the ack carried nothing"
    assert await bot.stack.settle()
    assert [p for p in bot.slack.responses if p.token == token] == []
    return dict(ack.json())


async def press(bot: Harness, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Click `label` on `message` (ephemeral) and return what reached its response_url."""
    ack, token = await bot.press(button(message, label))
    assert ack.status_code == 200
    return await bot.answer(token)


async def warm(bot: Harness) -> None:
    await bot.deps.lists.index()


def sender(bot: Harness) -> WebhookSender:
    return WebhookSender(f"{bot.url}/pivotal/webhooks", SECRET, bot.http)


async def deliver(bot: Harness, kind: str, obj: dict[str, Any], **previous: Any) -> None:
    hooks = bot.deps.hooks
    assert hooks is not None
    before = hooks.applied
    response = await sender(bot).deliver(envelope(kind, obj, previous=previous or None))
    assert response.status_code == 202
    if kind in CUSTOMER_EVENTS:
        await until(lambda: hooks.applied > before)


async def tell_signals(bot: Harness, display_id: int, **signals: Any) -> None:
    """A partial customer.updated carrying only `signals` (health_score, owner_email)."""
    obj = {"id": f"cus_{display_id}", "display_id": display_id, **signals}
    await deliver(bot, "customer.updated", obj, **dict.fromkeys(signals))
    # It names every change it carries: nothing to fetch, so the directory stays as it was.
    assert bot.deps.hooks is not None and len(bot.deps.hooks.refetcher) == 0


@pytest.fixture
async def hooked() -> AsyncIterator[Harness]:
    """The bot with Pivotal's webhooks set up (so health and owners can become known)."""
    async with running_bot(pivotal_webhook_secret=SECRET) as bot:
        bot.slack.workspace.set_user(USER_ID, email=ASKER)
        yield bot


# ---- the first page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keep"),
    [
        ("status:at_risk plan:enterprise", lambda c: c["status"] == "at_risk"
         and c["plan"] == "enterprise"),
        ("status:active", status_is("active")),
        ("plan:growth mrr>500", lambda c: c["plan"] == "growth" and (c["mrr"] or 0) > 50_000),
        ("status:at-risk,churned", status_is("at_risk", "churned")),
        ("plan:none", lambda c: c["plan"] is None),
        ("channel:linked", lambda c: c["slack_channel_id"] is not None),
        ("acme mrr>=1k", lambda c: "acme" in _folded(c["name"]) and (c["mrr"] or 0) >= 100_000),
    ],
)  # fmt: skip
async def test_warm_list_rides_on_the_ack_with_count_mrr_and_first_page(
    bot: Harness, text: str, keep: Callable[[Customer], bool]
) -> None:
    await warm(bot)
    found = expected(keep)
    assert found, "each case matches someone in the sample data"
    message = await ack_of(bot, text)
    assert message["response_type"] == "ephemeral"
    noun = "customer matches" if len(found) == 1 else "customers match"
    assert head(message).startswith(f"*{len(found)}* {noun} `")
    assert head(message).endswith(f"· *{dollars(found)}* MRR")
    assert row_ids(message) == [c["display_id"] for c in found[:10]]
    pages = -(-len(found) // 10)
    assert footer(message) == (
        f"Page 1 of {pages} · sorted by MRR, highest first · only you can see this"
    )
    shown = labels(message)
    assert "Previous" not in shown and ("Next" in shown) == (pages > 1)
    assert "Share" in shown
    assert len([b for b in message["blocks"] if "accessory" in b]) == min(10, len(found))


async def test_rows_say_status_plan_and_mrr(bot: Harness) -> None:
    await warm(bot)
    message = await ack_of(bot, "status:at_risk plan:enterprise")
    (dunder,) = [t for t in texts(message) if "#21 ·" in t]
    assert "Dunder Mifflin" in dunder
    assert dunder.endswith(" · :large_orange_circle: At risk · enterprise · $2,100")
    assert "health" not in dunder  # no webhook has told it


@pytest.mark.parametrize(
    ("sort", "said"),
    [("name", "name"), ("updated", "last update, newest first"), ("mrr", "MRR, highest first")],
)
async def test_other_sorts(bot: Harness, sort: str, said: str) -> None:
    await warm(bot)
    found = expected(status_is("active"), sort)
    message = await ack_of(bot, f"status:active sort:{sort}")
    assert row_ids(message) == [c["display_id"] for c in found[:10]]
    assert f"sorted by {said} ·" in footer(message)
    assert head(message).endswith(f"· *{dollars(found)}* MRR")  # the total ignores the order


async def test_a_cold_list_comes_at_the_response_url(bot: Harness) -> None:
    found = expected(status_is("at_risk"))
    ack, token = await bot.command("status:at_risk")
    assert ack.status_code == 200
    if ack.content:  # the index is built off the loop; a fast one may already be current
        message = dict(ack.json())
    else:
        message = await bot.answer(token)
        assert message["response_type"] == "ephemeral"
    assert row_ids(message) == [c["display_id"] for c in found]
    assert f"*{len(found)}* customers match" in head(message)


# ---- pages, Show, Share ------------------------------------------------------------------


async def test_next_then_previous_redraw_in_place(bot: Harness) -> None:
    await warm(bot)
    found = expected(status_is("active"))
    first = await ack_of(bot, "status:active")
    second = await press(bot, first, "Next")
    assert second["replace_original"] is True
    assert second["response_type"] == "ephemeral"
    assert row_ids(second) == [c["display_id"] for c in found[10:20]]
    assert footer(second).startswith("Page 2 of 4 · ")
    assert labels(second)[:2] == ["Previous", "Next"]
    assert head(second) == head(first)
    back = await press(bot, second, "Previous")
    assert back["replace_original"] is True
    assert row_ids(back) == row_ids(first)
    assert footer(back) == footer(first)


async def test_the_last_page_has_no_next(bot: Harness) -> None:
    await warm(bot)
    found = expected(status_is("active"), "name")
    page = await ack_of(bot, "status:active sort:name")
    for number in (2, 3, 4):
        page = await press(bot, page, "Next")
        assert footer(page).startswith(f"Page {number} of 4 · sorted by name")
    assert row_ids(page) == [c["display_id"] for c in found[30:]]
    assert "Next" not in labels(page) and "Previous" in labels(page)


async def test_show_opens_the_card_beside_the_list(bot: Harness) -> None:
    await warm(bot)
    (top, *_) = expected(status_is("at_risk"))
    message = await ack_of(bot, "status:at_risk")
    card = await press(bot, message, "Show")  # the first row's
    assert card["response_type"] == "ephemeral"
    assert card["replace_original"] is False  # the list stays
    assert card["blocks"][0]["text"]["text"] == top["name"]
    assert f"#{top['display_id']}" in json.dumps(card["blocks"])


async def test_share_posts_the_page_for_the_channel_crediting_the_asker(bot: Harness) -> None:
    await warm(bot)
    found = expected(status_is("at_risk"))
    message = await ack_of(bot, "status:at_risk")
    await bot.press(button(message, "Share"))
    (post,) = await bot.slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "C0GENERAL"
    blocks = post.body["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    shared = {"blocks": blocks}
    assert row_ids(shared) == [c["display_id"] for c in found]
    assert f"Shared by <@{USER_ID}> · 1–{len(found)} of {len(found)}" in texts(shared)
    assert not [b for b in blocks if b["type"] == "actions" or "accessory" in b]
    assert "only you can see this" not in json.dumps(blocks)


async def test_share_is_refused_in_a_slack_connect_channel(bot: Harness) -> None:
    await warm(bot)
    bot.slack.set_channel("C0CONNECT", ext_shared=True)
    message = await ack_of(bot, "status:at_risk", channel_id="C0CONNECT")
    assert row_ids(message)  # the list itself is still answered, for the asker only
    ack, token = await bot.press(button(message, "Share"), channel_id="C0CONNECT")
    assert ack.status_code == 200
    refused = await bot.answer(token)
    assert "not shared in channels with people from other organisations" in refused["text"]
    assert refused["replace_original"] is False
    assert await bot.stack.settle()
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_lists_and_pages_ask_pivotal_nothing(bot: Harness) -> None:
    await warm(bot)
    bot.pivotal.clear_requests()
    first = await ack_of(bot, "status:active")
    second = await press(bot, first, "Next")
    await press(bot, second, "Previous")
    await ack_of(bot, "status:active sort:name plan:growth")
    empty = await ack_of(bot, "status:churned plan:enterprise mrr>1k")
    await press(bot, empty, "Show those")
    await bot.press(button(second, "Share"))
    await bot.slack.wait_for("chat.postMessage")
    assert await bot.stack.settle()
    assert bot.pivotal.requests == []


# ---- nothing matches ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "nearest", "keep"),
    [
        # Dropping mrr leaves the two churned enterprise customers (dropping status leaves more,
        # dropping the plan leaves none: every churned customer's MRR is 0 or unknown).
        ("status:churned plan:enterprise mrr>1k", "status:churned plan:enterprise",
         lambda c: c["status"] == "churned" and c["plan"] == "enterprise"),
        # A status no customer has: the closest one some customer has.
        ("status:actve plan:enterprise", "status:active plan:enterprise", active_enterprise),
    ],
)  # fmt: skip
async def test_an_empty_list_suggests_the_nearest_filter_and_shows_it(
    bot: Harness, text: str, nearest: str, keep: Callable[[Customer], bool]
) -> None:
    await warm(bot)
    found = expected(keep)
    message = await ack_of(bot, text)
    assert head(message).startswith(":mag: No customers match `")
    suggestion = f"Nearest: `{nearest}` ({len(found)} customers)"
    assert suggestion in texts(message)
    shown = await press(bot, message, "Show those")
    assert shown["replace_original"] is True
    assert head(shown).startswith(f"*{len(found)}* customers match `{nearest}`")
    assert row_ids(shown) == [c["display_id"] for c in found[:10]]


# ---- what is not a filter ----------------------------------------------------------------


BAD = [
    ("colour:red", "Unknown filter"),
    ("stauts:active", "did you mean status:"),
    ("mrr>lots", "is not a number"),
    ("health<200", "scores run from 0 to 100"),
    ("sort:size", "is not a sort"),
    ("mrr>1.234", "more than two decimals"),
    ("status:active status:churned", "cannot both hold"),
    ("mrr>5k mrr<1k", "cannot both hold"),
    ("status:active " + "acme " * 2100, "a filter takes at most 500"),
    ("status:active\x07", "control characters"),
    ("status:active\x00 plan:growth", "control characters"),
    ("status:active <@U123>", "Mentions are not filters"),
    ("owner:<@U123|pat>", "Mentions are not filters"),
    ("status:active' OR '1'='1", "is not a status"),
    ("mrr>0; DROP TABLE customers;--", "is not a number"),
    ('plan:"enterprise', "A quote is not closed"),
    ("owner:robert'); DROP TABLE", "is not an owner"),
]


@pytest.mark.parametrize(("text", "says"), BAD, ids=[repr(t[:30]) for t, _ in BAD])
async def test_what_is_not_a_filter_gets_one_clear_message(
    bot: Harness, text: str, says: str
) -> None:
    ack, token = await bot.command(text)
    assert ack.status_code == 200
    message = ack.json()
    assert message["response_type"] == "ephemeral"
    assert says in message["text"]
    assert message["blocks"][0]["text"]["text"].startswith(":thinking_face: ")
    assert "*Lists of customers*" in message["blocks"][1]["text"]["text"]
    assert len(message["text"]) <= 500
    assert await bot.stack.settle()
    assert [p for p in bot.slack.responses if p.token == token] == []
    # and the bot goes on answering
    assert (await bot.lookup("status:at_risk"))["blocks"][0]["text"]["text"].startswith("*7*")


# ---- owner:me ----------------------------------------------------------------------------


async def test_mine_before_any_webhook_says_owners_are_not_known(bot: Harness) -> None:
    message = await bot.lookup("mine")
    said = json.dumps(message)
    assert "No customer's owner is known yet" in said
    assert "No customers match" not in said


async def test_mine_lists_what_webhooks_said_the_asker_owns(hooked: Harness) -> None:
    bot = hooked
    await tell_signals(bot, 21, owner_email=ASKER.upper())  # compared without case
    await tell_signals(bot, 42, owner_email=ASKER)
    await tell_signals(bot, 7, owner_email="sam@corp.example")
    mine = expected(lambda c: c["display_id"] in (21, 42))
    for text in ("mine", "owner:me", "mine status:active,at_risk"):
        message = await bot.lookup(text)
        assert row_ids(message) == [c["display_id"] for c in mine], text
        assert head(message).endswith(f"· *{dollars(mine)}* MRR")
    await warm(bot)
    again = await ack_of(bot, "mine plan:enterprise")  # the asker is known: in the ack
    assert row_ids(again) == [21, 42]
    assert row_ids(await bot.lookup("owner:sam@corp.example")) == [7]
    assert len(bot.slack.calls_to("users.info")) == 1  # cached per user


async def test_mine_when_the_asker_owns_nothing_says_no_customers(hooked: Harness) -> None:
    bot = hooked
    await tell_signals(bot, 7, owner_email="sam@corp.example")
    message = await bot.lookup("mine")
    assert head(message).startswith(":mag: No customers match `owner:me`")
    assert "owner is known yet" not in json.dumps(message)


async def test_mine_when_slack_will_not_tell_the_email(hooked: Harness) -> None:
    bot = hooked
    await tell_signals(bot, 21, owner_email=ASKER)
    bot.slack.fail("users.info", "missing_scope")
    message = await bot.lookup("mine")
    said = json.dumps(message)
    assert "Slack would not tell the bot your email" in said
    assert "users:read.email" in said
    assert "#21" not in said


# ---- what webhooks tell ------------------------------------------------------------------


async def test_health_from_webhooks_shows_in_rows_sorts_and_filters(hooked: Harness) -> None:
    bot = hooked
    told = {70: 20, 42: 35, 21: 80, 1: 49}
    for display_id, score in told.items():
        await tell_signals(bot, display_id, health_score=score)
    enterprise = expected(lambda c: c["plan"] == "enterprise")
    by_health = sorted(enterprise, key=lambda c: told.get(c["display_id"], 101))  # stable
    message = await bot.lookup("plan:enterprise sort:health")
    assert row_ids(message) == [c["display_id"] for c in by_health[:10]]
    assert row_ids(message)[:4] == [70, 42, 1, 21]
    (frobozz,) = [t for t in texts(message) if "#70 ·" in t]
    assert frobozz.endswith(" · health 20")
    assert "sorted by health, lowest first" in footer(message)
    low = expected(lambda c: told.get(c["display_id"], 100) < 50)
    message = await bot.lookup("health<50")
    assert row_ids(message) == [c["display_id"] for c in low]
    assert head(message).endswith(f"· *{dollars(low)}* MRR")


async def test_a_list_after_a_status_webhook_reflects_it(hooked: Harness) -> None:
    bot = hooked
    await warm(bot)
    before = await ack_of(bot, "status:at_risk plan:enterprise")
    assert row_ids(before) == [21, 70]
    await deliver(bot, "customer.at_risk", {"id": "cus_1", "display_id": 42})
    now = expected(lambda c: c["status"] == "at_risk" and c["plan"] == "enterprise",
                   rows=customers(c42={"status": "at_risk"}))  # fmt: skip
    message = await bot.lookup("status:at_risk plan:enterprise")
    assert row_ids(message) == [c["display_id"] for c in now] == [21, 70, 42]
    assert head(message).endswith(f"· *{dollars(now)}* MRR")
    assert "Acme Co." in json.dumps(message)


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (ids.LIST_PAGE, "list:abc:status:active"),
        (ids.LIST_PAGE, "list:2:colour:red"),
        (ids.LIST_PAGE, "customer:42"),
        (f"{ids.LIST_SHARE}:3", "list:0:status:active"),
        (f"{ids.LIST_SHARE}:3", "list:1:status:active\x07"),
    ],
)
async def test_a_forged_or_stale_list_button_is_out_of_date(
    bot: Harness, action_id: str, value: str
) -> None:
    _, token = await bot.action(action_id, value)
    answer = await bot.answer(token)
    assert "out of date" in answer["text"]
    assert await bot.stack.settle()
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_a_page_past_the_end_shows_the_last_one(bot: Harness) -> None:
    found = expected(status_is("active"))
    _, token = await bot.action(f"{ids.LIST_PAGE}:1", ids.list_value("status:active", 99))
    last = await bot.answer(token)
    assert footer(last).startswith("Page 4 of 4 · ")
    assert row_ids(last) == [c["display_id"] for c in found[30:]]


@pytest.mark.parametrize("external_unfurls", ["full", "minimal", "off"])
async def test_share_is_refused_in_slack_connect_whatever_cards_may_show(
    external_unfurls: str,
) -> None:
    async with running_bot(external_unfurls=external_unfurls) as bot:
        await warm(bot)
        bot.slack.set_channel("C0CONNECT", ext_shared=True)
        message = await ack_of(bot, "status:at_risk", channel_id="C0CONNECT")
        _, token = await bot.press(button(message, "Share"), channel_id="C0CONNECT")
        refused = await bot.answer(token)
        assert "not shared in channels with people from other organisations" in refused["text"]
        assert await bot.stack.settle()
        assert bot.slack.calls_to("chat.postMessage") == []


async def test_share_where_the_bot_may_not_post_goes_by_the_response_url(bot: Harness) -> None:
    await warm(bot)
    bot.slack.fail("chat.postMessage", "not_in_channel")
    message = await ack_of(bot, "status:at_risk")
    _, token = await bot.press(button(message, "Share"))
    shared = await bot.answer(token)
    assert shared["response_type"] == "in_channel"
    assert shared["replace_original"] is False
    assert f"Shared by <@{USER_ID}>" in json.dumps(shared["blocks"])
    assert row_ids(shared) == [c["display_id"] for c in expected(status_is("at_risk"))]
