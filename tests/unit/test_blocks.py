"""The card builders: structure, wording, links, privacy and safety, all checked by Block Kit."""

from __future__ import annotations

import ast
import copy
import inspect
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bot.blocks import ids, notices
from bot.blocks.customer import customer_card, shared_by_in, status_label
from bot.blocks.help import USAGE, help_message
from bot.blocks.matches import match_list
from bot.blocks.message import CardSettings, Message
from bot.pivotal.models import Customer
from tests.blockkit import (
    assert_inert,
    assert_valid_message,
    block_kit_problems,
    mrkdwn_texts,
    plain_texts,
)

APP = "https://my.pivotal.app"
CUID = "cl9bn00of0000g7l8gcq8c4xk"
PORTAL = "4455667"
INTERCOM_APP = "x1y2z3ab"
CREATED = datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
UPDATED = datetime(2024, 5, 6, 7, 8, tzinfo=UTC)
LINKS = CardSettings(app_url=APP, hubspot_portal_id=PORTAL, intercom_app_id=INTERCOM_APP)
BARE_LINKS = CardSettings(app_url=APP)
BLOCKS_DIR = Path(__file__).resolve().parents[2] / "bot" / "blocks"

ACME: dict[str, Any] = {
    "object": "customer",
    "id": CUID,
    "display_id": 42,
    "name": "Acme Co",
    "slug": "acme-co",
    "domain": "acme.com",
    "status": "active",
    "plan": "enterprise",
    "mrr": 125000,
    "monthly_orders": 320,
    "hubspot_company_id": "123456789",
    "hubspot_deal_id": "987654321",
    "stripe_customer_id": "cus_J5k9vX2bL8Q7Yz",
    "intercom_company_id": "abc123def456",
    "slack_channel_id": "C024BE7LT",
    "created_at": "2021-03-04T10:00:00Z",
    "updated_at": "2024-05-06T07:08:00Z",
}
NULLABLE = (
    "slug",
    "domain",
    "plan",
    "mrr",
    "monthly_orders",
    "hubspot_company_id",
    "hubspot_deal_id",
    "stripe_customer_id",
    "intercom_company_id",
    "slack_channel_id",
)
ALL_BUTTONS = [
    ids.OPEN_PIVOTAL,
    ids.OPEN_HUBSPOT_COMPANY,
    ids.OPEN_HUBSPOT_DEAL,
    ids.OPEN_STRIPE,
    ids.OPEN_INTERCOM,
]


def customer(**changes: Any) -> Customer:
    """Acme #42 (the API's own example), with `changes` applied."""
    return Customer.model_validate({**ACME, **changes})


def bare() -> Customer:
    """Every nullable field null (the API may send that for a brand-new customer)."""
    return customer(**dict.fromkeys(NULLABLE))


def check(message: Message, *, channel: str | None = None) -> Message:
    assert_valid_message(message.blocks, text=message.text, channel=channel)
    return message


def card(c: Customer | None = None, links: CardSettings = LINKS, **kwargs: Any) -> Message:
    return check(customer_card(c or customer(), cards=links, **kwargs))


def block(message: Message, block_id: str) -> dict[str, Any]:
    (found,) = [b for b in message.blocks if b.get("block_id") == block_id]
    return found


def fields(message: Message) -> list[str]:
    return [f["text"] for f in block(message, ids.CARD_FIELDS_BLOCK)["fields"]]


def buttons(message: Message) -> dict[str, dict[str, Any]]:
    links = block(message, ids.CARD_LINKS_BLOCK)["elements"]
    return {b["action_id"]: b for b in links if "url" in b}


def urls(message: Message) -> dict[str, str]:
    return {action_id: b["url"] for action_id, b in buttons(message).items()}


def everything(message: Message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + "\n" + message.text


# --- the full card -------------------------------------------------------------------


def test_card_structure() -> None:
    message = card()
    assert [b["type"] for b in message.blocks] == ["header", "section", "context", "actions"]
    assert [b["block_id"] for b in message.blocks] == [
        ids.CARD_HEADER_BLOCK,
        ids.CARD_FIELDS_BLOCK,
        ids.CARD_CONTEXT_BLOCK,
        ids.CARD_LINKS_BLOCK,
    ]
    assert list(buttons(message)) == ALL_BUTTONS
    header = message.blocks[0]["text"]
    assert header == {"type": "plain_text", "text": "Acme Co", "emoji": False}


def test_card_fields() -> None:
    assert fields(card()) == [
        "*Status*\n:large_green_circle: Active",
        "*Plan*\nenterprise",
        "*MRR*\n$1,250",
        "*Monthly orders*\n320",
        "*Domain*\nacme.com",
        "*Channel*\n<#C024BE7LT>",
    ]


def test_card_money_follows_the_currency_setting() -> None:
    links = CardSettings(app_url=APP, currency="CHF")
    assert "*MRR*\n1,250.50 CHF" in fields(card(customer(mrr=125050), links))


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("active", ":large_green_circle: Active"),
        ("onboarding", ":large_blue_circle: Onboarding"),
        ("at_risk", ":large_orange_circle: At risk"),
        ("churned", ":red_circle: Churned"),
        ("archived", ":white_circle: Archived"),
        # Statuses the card does not know: a neutral marker and the name in words.
        ("paused", ":radio_button: Paused"),
        ("trialing", ":radio_button: Trialing"),
        ("past_due", ":radio_button: Past due"),
        ("", ":radio_button: Unknown"),
        ("<!here>", ":radio_button: &lt;!here&gt;"),
        ("a&b", ":radio_button: A&amp;b"),
    ],
)
def test_status_field(status: str, shown: str) -> None:
    assert status_label(status) == shown
    assert fields(card(customer(status=status)))[0] == f"*Status*\n{shown}"


def test_card_context_has_number_and_dates() -> None:
    (element,) = block(card(), ids.CARD_CONTEXT_BLOCK)["elements"]
    assert element["type"] == "mrkdwn"
    assert element["text"] == (
        f"*#42* · Customer since <!date^{int(CREATED.timestamp())}^{{date_short}}"
        "|Mar 4, 2021>"
        f" · Updated <!date^{int(UPDATED.timestamp())}^{{date_short_pretty}} at {{time}}"
        "|May 6, 2024 at 07:08 UTC>"
    )


def test_card_buttons() -> None:
    message = card()
    assert urls(message) == {
        ids.OPEN_PIVOTAL: f"{APP}/customers/42",
        ids.OPEN_HUBSPOT_COMPANY: f"https://app.hubspot.com/contacts/{PORTAL}/record/0-2/123456789",
        ids.OPEN_HUBSPOT_DEAL: f"https://app.hubspot.com/contacts/{PORTAL}/record/0-3/987654321",
        ids.OPEN_STRIPE: "https://dashboard.stripe.com/customers/cus_J5k9vX2bL8Q7Yz",
        ids.OPEN_INTERCOM: f"https://app.intercom.com/a/apps/{INTERCOM_APP}/companies/abc123def456",
    }
    styles = {action_id: b.get("style") for action_id, b in buttons(message).items()}
    assert styles == {ids.OPEN_PIVOTAL: "primary"} | dict.fromkeys(ALL_BUTTONS[1:])
    labels = [b["text"]["text"] for b in buttons(message).values()]
    assert labels == ["Open in Pivotal", "HubSpot company", "HubSpot deal", "Stripe", "Intercom"]


def test_stripe_test_mode_and_hubspot_eu_host() -> None:
    links = CardSettings(
        app_url=APP + "/",
        hubspot_portal_id=PORTAL,
        hubspot_host="app-eu1.hubspot.com",
        stripe_test_mode=True,
    )
    got = urls(card(links=links))
    assert got[ids.OPEN_PIVOTAL] == f"{APP}/customers/42"
    assert got[ids.OPEN_STRIPE] == "https://dashboard.stripe.com/test/customers/cus_J5k9vX2bL8Q7Yz"
    assert got[ids.OPEN_HUBSPOT_COMPANY].startswith(
        f"https://app-eu1.hubspot.com/contacts/{PORTAL}/"
    )


@pytest.mark.parametrize(
    ("changes", "links", "missing"),
    [
        ({}, BARE_LINKS, {ids.OPEN_HUBSPOT_COMPANY, ids.OPEN_HUBSPOT_DEAL, ids.OPEN_INTERCOM}),
        ({"hubspot_company_id": None}, LINKS, {ids.OPEN_HUBSPOT_COMPANY}),
        ({"hubspot_deal_id": None}, LINKS, {ids.OPEN_HUBSPOT_DEAL}),
        ({"stripe_customer_id": None}, LINKS, {ids.OPEN_STRIPE}),
        ({"intercom_company_id": None}, LINKS, {ids.OPEN_INTERCOM}),
        ({"hubspot_company_id": ""}, LINKS, {ids.OPEN_HUBSPOT_COMPANY}),
        ({"stripe_customer_id": "   "}, LINKS, {ids.OPEN_STRIPE}),
        ({"intercom_company_id": "x" * 5000}, LINKS, {ids.OPEN_INTERCOM}),
        (
            {},
            CardSettings(app_url=APP, intercom_app_id=INTERCOM_APP),
            {ids.OPEN_HUBSPOT_COMPANY, ids.OPEN_HUBSPOT_DEAL},
        ),
        ({}, CardSettings(app_url=APP, hubspot_portal_id=PORTAL), {ids.OPEN_INTERCOM}),
        ({name: None for name in NULLABLE}, LINKS, set(ALL_BUTTONS[1:])),
    ],
)
def test_button_omitted_without_its_id_or_setting(
    changes: dict[str, Any], links: CardSettings, missing: set[str]
) -> None:
    shown = list(buttons(card(customer(**changes), links)))
    assert shown == [a for a in ALL_BUTTONS if a not in missing]


@pytest.mark.parametrize("odd", ["12/34", "../admin", "a b?c#d", "x%2Fy", "ü&<>", " 77 "])
def test_odd_ids_are_path_encoded(odd: str) -> None:
    c = customer(
        hubspot_company_id=odd, hubspot_deal_id=odd, stripe_customer_id=odd, intercom_company_id=odd
    )
    got = urls(card(c))
    segment = quote(odd.strip(), safe="")
    assert "/" not in segment and "?" not in segment and "#" not in segment
    assert got[ids.OPEN_HUBSPOT_COMPANY].endswith(f"/record/0-2/{segment}")
    assert got[ids.OPEN_HUBSPOT_DEAL].endswith(f"/record/0-3/{segment}")
    assert got[ids.OPEN_STRIPE] == f"https://dashboard.stripe.com/customers/{segment}"
    assert got[ids.OPEN_INTERCOM].endswith(f"/companies/{segment}")


def test_fallback_text() -> None:
    assert card().text == "Acme Co (#42): Active, enterprise, $1,250 MRR"
    assert card(customer(status="paused", plan=None, mrr=None)).text == "Acme Co (#42): Paused"


def test_stale_card_has_the_as_of_note() -> None:
    as_of = datetime(2024, 6, 1, 8, 15, tzinfo=UTC)
    message = card(as_of=as_of)
    kinds = [b.get("block_id") for b in message.blocks]
    assert kinds == [
        ids.CARD_HEADER_BLOCK,
        ids.CARD_FIELDS_BLOCK,
        ids.CARD_CONTEXT_BLOCK,
        ids.STALE_NOTE_BLOCK,
        ids.CARD_LINKS_BLOCK,
    ]
    (note,) = block(message, ids.STALE_NOTE_BLOCK)["elements"]
    assert (
        "as of <!date^1717229700^{date_short_pretty} at {time}|Jun 1, 2024 at 08:15 UTC>"
        in (note["text"])
    )
    assert ids.STALE_NOTE_BLOCK not in json.dumps(card().blocks)


@pytest.mark.parametrize("as_of", [None, datetime(2024, 6, 1, 8, 15, tzinfo=UTC)])
def test_minimal_card_hides_financials(as_of: datetime | None) -> None:
    message = card(minimal=True, as_of=as_of)
    types = [b["type"] for b in message.blocks]
    assert types == ["header", "context", "actions"] if as_of is None else types
    assert message.blocks[0]["text"]["text"] == "Acme Co"
    assert block(message, ids.CARD_CONTEXT_BLOCK)["elements"][0]["text"] == "*#42*"
    assert urls(message) == {ids.OPEN_PIVOTAL: f"{APP}/customers/42"}
    assert message.text == "Acme Co (#42)"
    shown = everything(message)
    for secret in (
        "1,250",
        "125000",
        "enterprise",
        "320",
        "MRR",
        "Plan",
        "orders",
        "123456789",
        "987654321",
        "cus_J5k9vX2bL8Q7Yz",
        "abc123def456",
        "hubspot",
        "stripe",
        "intercom",
        CUID,
    ):
        assert secret not in shown, secret


def test_every_nullable_field_missing() -> None:
    message = card(bare())
    assert fields(message) == [
        "*Status*\n:large_green_circle: Active",
        "*Plan*\n—",
        "*MRR*\n—",
        "*Monthly orders*\n—",
        "*Domain*\n—",
        "*Channel*\n—",
    ]
    assert list(buttons(message)) == [ids.OPEN_PIVOTAL]
    assert message.text == "Acme Co (#42): Active"
    check(customer_card(bare(), cards=BARE_LINKS, minimal=True))


@pytest.mark.parametrize(
    ("channel_id", "shown"),
    [
        ("C024BE7LT", "<#C024BE7LT>"),
        ("G0PRIVATE1", "<#G0PRIVATE1>"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("C123|x", "C123|x"),
        ("c024be7lt", "c024be7lt"),
        ("Cé12", "Cé12"),
        ("C１２３", "C１２３"),
        ("U024BE7LT", "U024BE7LT"),
    ],
)
def test_channel_field_references_only_real_channel_ids(channel_id: str, shown: str) -> None:
    assert fields(card(customer(slack_channel_id=channel_id)))[-1] == f"*Channel*\n{shown}"


HOSTILE = [
    "<!channel>",
    "<!here> hi",
    "<!everyone>",
    "<@U123>",
    "<#C024BE7LT>",
    "<!subteam^S123>",
    "<https://evil.example|click>",
    "<https://evil.example>",
    "&amp; &lt;!here&gt;",
    "*bold* _it_ ~strike~ `code` ```block```",
    "A" * 10_000,
    "&" * 10_000,
    "<" * 3_000,
    "   ",
    "\n\t ",
    "🎉🚀 Acme 👩‍💻",
    "شركة أكمي",
    "\u202eoC emcA",
    ":tada: <!date^0^{date}|x>",
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda s: repr(s[:24]))
def test_hostile_text_is_valid_inert_and_cut(hostile: str) -> None:
    c = customer(
        name=hostile,
        plan=hostile,
        domain=hostile,
        status=hostile,
        slack_channel_id=hostile,
        hubspot_company_id=hostile,
        stripe_customer_id=hostile,
        intercom_company_id=hostile,
    )
    for minimal in (False, True):
        message = card(c, minimal=minimal, as_of=UPDATED)
        name = hostile.strip() or "Customer #42"
        header = message.blocks[0]["text"]["text"]
        if len(name) <= 150:
            assert header == name
        else:  # cut with an ellipsis (a trailing "&" may go too: it could start an entity)
            assert len(header) <= 150 and header.endswith("…") and name.startswith(header[:-1])
        for text in mrkdwn_texts(message.blocks):
            assert len(text) <= 2000
    check(match_list(hostile, [c, customer(id="x2", display_id=43)]))
    check(notices.not_found(hostile))
    check(notices.invalid_input(hostile))


def test_very_long_name_is_cut_with_an_ellipsis() -> None:
    message = card(customer(name="A" * 10_000))
    assert message.blocks[0]["text"]["text"] == "A" * 149 + "…"
    assert len(message.text) <= 3000


def test_builder_output_is_plain_data_and_not_shared() -> None:
    first, second = card(), card()
    assert first == second
    first.blocks[0]["text"]["text"] = "changed"
    assert card().blocks[0]["text"]["text"] == "Acme Co"
    assert json.loads(json.dumps(second.blocks)) == second.blocks


# --- purity ------------------------------------------------------------------------


def test_customer_card_takes_no_clock() -> None:
    params = inspect.signature(customer_card).parameters
    assert list(params) == [
        "customer",
        "cards",
        "as_of",
        "minimal",
        "shareable",
        "shared_by",
        "refreshed_at",
        "signals",
        "followable",
        "linked",
        "onboarding",
    ]
    assert not {"now", "clock", "timer", "today"} & set(params)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(BLOCKS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_blocks_import_no_io(path: Path) -> None:
    forbidden = ("httpx", "slack_bolt", "slack_sdk", "os", "time", "asyncio", "bot.slack")
    for name in _imports(path):
        assert not any(name == f or name.startswith(f + ".") for f in forbidden), name
    source = path.read_text()
    for call in ("datetime.now", "datetime.utcnow", "date.today", "time.time", "os.environ"):
        assert call not in source, call


# --- other messages ----------------------------------------------------------------


MESSAGES: list[tuple[str, Callable[[], Message]]] = [
    ("not_found", lambda: notices.not_found("acme")),
    ("not_found_number", lambda: notices.not_found("#42")),
    ("invalid_input", lambda: notices.invalid_input("That is not a customer number.")),
    ("key_rejected", notices.key_rejected),
    ("rate_limited", lambda: notices.rate_limited(12.2)),
    ("unavailable", notices.unavailable),
    ("loading", notices.loading),
    ("internal_error", notices.internal_error),
    ("help", lambda: help_message(APP)),
]


@pytest.mark.parametrize(("name", "build"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_other_messages_are_valid(name: str, build: Callable[[], Message]) -> None:
    message = check(build())
    assert message.text.strip()


def test_not_found_wording() -> None:
    assert "There is no customer #42 in Pivotal" in notices.not_found("#42").text
    assert notices.not_found("acme").text.startswith("No customer matches acme.")


def test_unlinked_channel_names_the_channel() -> None:
    message = check(notices.unlinked_channel("C024BE7LT"), channel="C024BE7LT")
    assert "<#C024BE7LT>" in message.text
    assert USAGE in list(mrkdwn_texts(message.blocks))


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [(None, 1), (0, 1), (-3, 1), (0.2, 1), (12.2, 13), (60, 60), (math.inf, 3600), (math.nan, 1)],
)
def test_rate_limited_wording(retry_after: float | None, seconds: int) -> None:
    assert f"Try again in {seconds} s;" in check(notices.rate_limited(retry_after)).text


def test_help_uses_the_workspace_link_form() -> None:
    message = check(help_message("https://pivotal.example.org/"))
    (usage,) = [t for t in mrkdwn_texts(message.blocks) if "How to look up" in t]
    assert "https://pivotal.example.org/customers/42" in usage
    assert "my.pivotal.app" not in usage


def _many(n: int) -> list[Customer]:
    return [
        customer(id=f"cust_{i}", display_id=100 + i, name=f"Acme {i}", domain=None)
        for i in range(n)
    ]


def test_match_list_few() -> None:
    message = check(match_list("acme", _many(3)))
    assert message.blocks[0]["text"]["text"] == "3 customers match *acme*. Pick one:"
    assert len(message.blocks) == 5  # intro, three, and the picker
    assert message.blocks[-1]["accessory"]["type"] == "external_select"
    first = message.blocks[1]
    assert first["text"]["text"] == "*Acme 0* · #100 · :large_green_circle: Active"
    assert first["accessory"]["action_id"] == ids.PICK_CUSTOMER
    assert first["accessory"]["text"] == {"type": "plain_text", "text": "Show"}
    picked = [ids.decode_customer_value(b["accessory"]["value"]) for b in message.blocks[1:-1]]
    assert picked == ["cust_0", "cust_1", "cust_2"]


def test_match_list_caps_at_ten() -> None:
    message = check(match_list("acme", _many(25)))
    assert message.blocks[0]["text"]["text"] == (
        "More than 10 customers match *acme* (25 in all); the first 10:"
    )
    assert len(message.blocks) == 12
    assert all(b["accessory"]["action_id"] == ids.PICK_CUSTOMER for b in message.blocks[1:-1])


def test_match_list_shows_domain_and_unknown_status() -> None:
    message = check(match_list("ac", [customer(status="paused"), customer(id="b", domain="<x>")]))
    assert message.blocks[1]["text"]["text"] == "*Acme Co* · #42 · :radio_button: Paused · acme.com"
    assert message.blocks[2]["text"]["text"].endswith(" · &lt;x&gt;")


@pytest.mark.parametrize("odd_id", ["has space", "../x", "x" * 3000, "ü"])
def test_match_list_value_always_decodes(odd_id: str) -> None:
    message = check(match_list("acme", [customer(id=odd_id), customer(id=CUID, display_id=7)]))
    values = [ids.decode_customer_value(b["accessory"]["value"]) for b in message.blocks[1:-1]]
    assert values == ["42", CUID]


# --- ids ---------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["42", "999999999999", CUID, "cust_A-1"])
def test_customer_value_round_trip(ref: str) -> None:
    value = ids.encode_customer_value(ref)
    assert len(value) <= 2000
    assert ids.decode_customer_value(value) == ref


@pytest.mark.parametrize(
    "value",
    [
        "",
        "customer:",
        "customer:../x",
        "customer:a b",
        "customer:42/edit",
        "customer:42?x=1",
        "customer:" + "x" * 65,
        "other:1",
        "Customer:42",
        "42",
        ":42",
    ],
)
def test_foreign_values_are_rejected(value: str) -> None:
    assert ids.decode_customer_value(value) is None


def test_ids_are_unique_and_short() -> None:
    constants = [
        value for name, value in vars(ids).items() if name.isupper() and isinstance(value, str)
    ]
    assert len(constants) == len(set(constants))
    assert all(0 < len(value) <= 255 for value in constants)
    assert set(ids.LINK_BUTTONS) == set(ALL_BUTTONS)


# --- the validator itself ----------------------------------------------------------


def _acme_blocks() -> list[dict[str, Any]]:
    return copy.deepcopy(card().blocks)


def _breakers() -> list[tuple[str, Callable[[list[dict[str, Any]]], object]]]:
    def field(blocks: list[dict[str, Any]]) -> dict[str, Any]:
        return blocks[1]["fields"][0]  # type: ignore[no-any-return]

    def button(blocks: list[dict[str, Any]]) -> dict[str, Any]:
        return blocks[3]["elements"][0]  # type: ignore[no-any-return]

    return [
        ("51 blocks", lambda b: b.extend(_section("x") for _ in range(47))),
        ("no blocks", lambda b: b.clear()),
        ("unknown type", lambda b: b.append({"type": "bogus"})),
        ("key typo", lambda b: b[0].update(txt=b[0].pop("text"))),
        ("header mrkdwn", lambda b: b[0]["text"].update(type="mrkdwn")),
        ("header 151", lambda b: b[0]["text"].update(text="h" * 151)),
        ("header empty", lambda b: b[0]["text"].update(text="")),
        ("section text 3001", lambda b: b.append(_section("s" * 3001))),
        ("field 2001", lambda b: field(b).update(text="f" * 2001)),
        ("11 fields", lambda b: b[1]["fields"].extend(copy.deepcopy(b[1]["fields"][:5]))),
        ("button mrkdwn", lambda b: button(b)["text"].update(type="mrkdwn")),
        ("button text 76", lambda b: button(b)["text"].update(text="b" * 76)),
        ("button url 3001", lambda b: button(b).update(url="https://x.example/" + "u" * 2983)),
        ("button url scheme", lambda b: button(b).update(url="javascript:alert(1)")),
        ("button value 2001", lambda b: button(b).update(value="v" * 2001)),
        ("action_id 256", lambda b: button(b).update(action_id="a" * 256)),
        ("action_id twice", lambda b: b[3]["elements"][1].update(action_id=ids.OPEN_PIVOTAL)),
        ("block_id 256", lambda b: b[0].update(block_id="i" * 256)),
        ("block_id twice", lambda b: b[1].update(block_id=ids.CARD_HEADER_BLOCK)),
        ("context 11", lambda b: b[2]["elements"].extend(copy.deepcopy(b[2]["elements"] * 10))),
        ("actions 26", lambda b: b[3]["elements"].extend(_buttons(21))),
        ("mention", lambda b: field(b).update(text="*Plan*\n<!channel>")),
        ("user", lambda b: field(b).update(text="*Plan*\n<@U123>")),
        ("other channel", lambda b: field(b).update(text="*Plan*\n<#C999>")),
        ("link", lambda b: field(b).update(text="*Plan*\n<https://evil.example|click>")),
        ("raw <", lambda b: field(b).update(text="*Plan*\na < b")),
        ("raw &", lambda b: field(b).update(text="*Plan*\nAT&T")),
    ]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _buttons(n: int) -> list[dict[str, Any]]:
    return [
        {"type": "button", "action_id": f"b{i}", "text": {"type": "plain_text", "text": "x"}}
        | {"url": "https://x.example"}
        for i in range(n)
    ]


@pytest.mark.parametrize(("name", "breaker"), _breakers(), ids=[b[0] for b in _breakers()])
def test_validator_rejects_a_broken_card(
    name: str, breaker: Callable[[list[dict[str, Any]]], object]
) -> None:
    blocks = _acme_blocks()
    assert_valid_message(blocks)  # the unbroken card passes...
    breaker(blocks)
    with pytest.raises(AssertionError):
        assert_valid_message(blocks)  # ...and each break is caught


def test_validator_knows_surfaces() -> None:
    blocks = [_section(f"line {i}") for i in range(60)]
    assert block_kit_problems(blocks, surface="modal") == []
    assert block_kit_problems(blocks) == ["60 blocks; a message takes 1..50"]


def test_validator_checks_the_fallback_text() -> None:
    blocks = _acme_blocks()
    with pytest.raises(AssertionError):
        assert_valid_message(blocks, text="")
    with pytest.raises(AssertionError):
        assert_valid_message(blocks, text="Hi <!here>")


@pytest.mark.parametrize(
    "text",
    ["<!here>", "<@U1>", "<#C1>", "<https://x.example|y>", "<mailto:a@b.c|a>", "1 > 0", "a&b"],
)
def test_assert_inert_rejects(text: str) -> None:
    with pytest.raises(AssertionError):
        assert_inert(text)


@pytest.mark.parametrize(
    "text",
    [
        "&lt;!here&gt; &amp; &lt;@U1&gt;",
        "Since <!date^1614852000^{date_short}|Mar 4, 2021>",
        "*bold* _it_ ~s~ `code` 🎉",
    ],
)
def test_assert_inert_allows(text: str) -> None:
    assert_inert(text)


def test_assert_inert_allows_only_the_expected_channel() -> None:
    assert_inert("see <#C024BE7LT>", channel="C024BE7LT")
    with pytest.raises(AssertionError):
        assert_inert("see <#C999>", channel="C024BE7LT")


def test_plain_texts_cover_header_and_buttons() -> None:
    assert list(plain_texts(card().blocks)) == [
        "Acme Co",
        "Open in Pivotal",
        "HubSpot company",
        "HubSpot deal",
        "Stripe",
        "Intercom",
        "Refresh",
    ]


# --- share -------------------------------------------------------------------------


def test_shareable_card_has_a_share_button_naming_the_customer() -> None:
    message = card(shareable=True)
    assert_valid_message(message.blocks, text=message.text)
    elements = message.blocks[-1]["elements"]
    share, refresh = elements[-2:]
    assert share["action_id"] == ids.SHARE_CUSTOMER
    assert refresh["action_id"] == ids.REFRESH_CUSTOMER
    assert ids.decode_customer_value(share["value"]) == ACME["id"]
    assert "url" not in share
    assert ids.SHARE_CUSTOMER not in json.dumps(card().blocks)


def test_shared_card_credits_the_sharer_and_only_a_real_user_id() -> None:
    acme = Customer.model_validate(ACME)
    shared = customer_card(acme, cards=LINKS, shared_by="U024BE7LH")
    assert block_kit_problems(shared.blocks) == []
    assert "Shared by <@U024BE7LH>" in json.dumps(shared.blocks)
    for bogus in ("<!channel>", "U1>|<!here", "channel", ""):
        assert "Shared by" not in json.dumps(card(shared_by=bogus).blocks)


def test_unlinked_dm_is_called_a_conversation() -> None:
    channel = notices.unlinked_channel("C024BE7LT")
    assert "<#C024BE7LT>" in channel.text
    direct = notices.unlinked_channel("D024BE7LT")
    assert direct.text.startswith("This conversation is not linked")
    assert_valid_message(direct.blocks, text=direct.text)


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        (None, None),
        ("not blocks", None),
        ([], None),
        ([{"block_id": ids.CARD_CONTEXT_BLOCK,
           "elements": [{"text": "*#42* · Shared by <@U0A1>"}]}], "U0A1"),
        ([{"block_id": "other", "elements": [{"text": "Shared by <@U0A1>"}]}], None),
        ([{"block_id": ids.CARD_CONTEXT_BLOCK, "elements": [{"text": "Shared by <@here>"}]}], None),
        ([{"block_id": ids.CARD_CONTEXT_BLOCK, "elements": ["x", {"text": 7}]}], None),
    ],
)  # fmt: skip
def test_who_shared_a_posted_card_is_read_back_from_its_context(
    blocks: object, expected: str | None
) -> None:
    assert shared_by_in(blocks) == expected


def test_follow_buttons_only_when_asked_and_never_on_minimal_cards() -> None:
    def action_ids(**options: bool) -> list[str]:
        message = customer_card(customer(), cards=BARE_LINKS, **options)
        return [e["action_id"] for b in message.blocks if b["type"] == "actions"
                for e in b["elements"]]  # fmt: skip

    assert ids.FOLLOW_CHANNEL not in action_ids()
    assert action_ids(followable=True)[-2:] == [ids.FOLLOW_CHANNEL, ids.FOLLOW_ME]
    assert ids.FOLLOW_CHANNEL not in action_ids(followable=True, minimal=True)
    linked = customer_card(customer(), cards=BARE_LINKS, followable=True,
                           linked=True)  # fmt: skip
    labels = [e["text"]["text"] for e in linked.blocks[-1]["elements"]]
    assert "Follow in this channel" in labels and "Follow just for me" in labels
