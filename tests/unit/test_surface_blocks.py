"""The picker, its options, the Home tab and the modal: valid Block Kit, nothing private."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks import ids
from bot.blocks.customer import customer_card
from bot.blocks.message import CardSettings
from bot.blocks.picker import LABEL_LIMIT, MAX_OPTIONS, option_label, picker_options
from bot.blocks.surfaces import (
    card_modal,
    find_modal,
    home_view,
    looking_up_modal,
    notice_modal,
    share_refused_modal,
    share_target_missing,
    shared_modal,
    sharing_modal,
)
from bot.pivotal.models import Customer
from tests.blockkit import assert_valid_message, assert_valid_view

LINKS = CardSettings(app_url="https://my.pivotal.app", hubspot_portal_id="1", intercom_app_id="a")


def customer(n: int = 42, **fields: Any) -> Customer:
    body: dict[str, Any] = {
        "id": f"cl9bn00of{n:04d}g7l8gcq8c4xk",
        "display_id": n,
        "name": "Acme Co.",
        "slug": "acme-co",
        "domain": "acme.com",
        "status": "active",
        "plan": "enterprise",
        "mrr": 125000,
        "monthly_orders": 320,
        "stripe_customer_id": "cus_J5k9vX2bL8Q7Yz",
        "created_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-06-01T10:00:00Z",
    }
    body.update(fields)
    return Customer.model_validate(body)


PRIVATE = ("1,250", "125000", "enterprise", "320", "cus_J5k9vX2bL8Q7Yz")


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Acme Co.", "Acme Co. · #42"),
        ("  spaced\n  out  ", "spaced out · #42"),
        ("", "Customer · #42"),
        ("<!channel> & co", "<!channel> & co · #42"),  # plain_text: Slack never parses it
        ("x" * 500, "x" * (LABEL_LIMIT - 7) + "… · #42"),
    ],
)
def test_option_labels_are_name_and_number_within_75(name: str, label: str) -> None:
    got = option_label(customer(name=name))
    assert got == label
    assert len(got) <= LABEL_LIMIT


def test_options_carry_no_financial_fields_and_decode() -> None:
    options = picker_options([customer(n) for n in range(1, 150)])
    assert len(options) == MAX_OPTIONS
    text = json.dumps(options)
    assert not [p for p in PRIVATE if p in text]
    for option in options:
        assert option["text"]["type"] == "plain_text"
        assert len(option["value"]) <= 150
        assert ids.decode_customer_value(option["value"]) is not None


def test_a_long_unsafe_id_falls_back_to_the_number() -> None:
    (option,) = picker_options([customer(7, id="x" * 3000)])
    assert ids.decode_customer_value(option["value"]) == "7"


def test_home_view_lists_recent_and_linked_without_money() -> None:
    view = home_view([customer(1), customer(2)], [customer(3, slack_channel_id="C1")])
    assert_valid_view(view)
    text = json.dumps(view)
    assert not [p for p in PRIVATE if p in text]
    pickers = [b for b in view["blocks"] if b.get("accessory", {}).get("type") == "external_select"]
    assert len(pickers) == 1
    shows = [
        b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("type") == "button"
    ]
    assert [ids.decode_customer_value(s["value"]) for s in shows] == [
        customer(n).id for n in (1, 2, 3)
    ]


def test_empty_home_view_says_so() -> None:
    view = home_view([], [])
    assert_valid_view(view)
    assert "Nothing yet" in json.dumps(view)


def test_home_lists_at_most_ten() -> None:
    view = home_view([customer(n) for n in range(1, 30)], [])
    assert_valid_view(view)
    shows = [b for b in view["blocks"] if b.get("accessory", {}).get("type") == "button"]
    assert len(shows) == 10


def test_modals_are_valid() -> None:
    assert_valid_view(find_modal())
    card = customer_card(customer(), cards=LINKS)
    view = card_modal(card, customer().id)
    assert_valid_view(view)
    assert view["private_metadata"] == customer().id
    assert view["submit"]["text"] == "Share"
    (share,) = [b for b in view["blocks"] if b.get("block_id") == ids.SHARE_TARGET_BLOCK]
    assert share["element"]["type"] == "conversations_select"
    assert_valid_view(notice_modal("Shared in <#C024BE7LT>."), channel="C024BE7LT")
    assert_valid_view(shared_modal("C024BE7LT"), channel="C024BE7LT")
    for notice in (looking_up_modal(), sharing_modal(), share_refused_modal()):
        assert_valid_view(notice)
    assert "<#C0A>" in json.dumps(shared_modal("C0A")) and "&lt;!here&gt;" in json.dumps(
        shared_modal("<!here>")
    )
    assert share_target_missing() == {ids.SHARE_TARGET_BLOCK: "Pick where to share the card."}


def test_refreshed_card_says_so_and_every_card_has_refresh() -> None:
    at = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    for minimal in (False, True):
        message = customer_card(customer(), cards=LINKS, minimal=minimal, refreshed_at=at)
        assert_valid_message(message.blocks, text=message.text)
        assert "Updated just now" in json.dumps(message.blocks)
        refresh = [
            e
            for b in message.blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ids.REFRESH_CUSTOMER
        ]
        assert len(refresh) == 1
        expected = "42" if minimal else customer().id
        assert ids.decode_customer_value(refresh[0]["value"]) == expected
