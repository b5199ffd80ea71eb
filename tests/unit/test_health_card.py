"""Health and owner on the card: shown from webhook signals, hidden on minimal cards."""

from __future__ import annotations

import json

import pytest

from bot.blocks.customer import customer_card
from bot.blocks.health import health_text
from bot.blocks.message import CardSettings
from bot.pivotal.models import Customer, Signals
from tests.blockkit import assert_valid_message

LINKS = CardSettings(app_url="https://my.pivotal.app")
ACME = Customer.model_validate({
    "id": "cl9bn00of0000g7l8gcq8c4xk", "display_id": 42, "name": "Acme Co.",
    "status": "active", "mrr": 125000, "created_at": "2022-03-22T10:00:00Z",
    "updated_at": "2026-05-26T17:21:09Z",
})  # fmt: skip
TOLD = Signals(health_score=38, previous_health_score=72, owner_email="csm@example.com")


def field_texts(blocks: list[dict[str, object]]) -> list[str]:
    return [f["text"] for b in blocks if b.get("fields") for f in b["fields"]]  # type: ignore[attr-defined]


def test_card_shows_health_and_owner() -> None:
    card = customer_card(ACME, cards=LINKS, signals=TOLD)
    assert_valid_message(card.blocks, text=card.text)
    texts = field_texts(card.blocks)
    assert "*Health*\n38, down from 72" in texts
    assert "*Owner*\ncsm@example.com" in texts


def test_minimal_card_hides_health_like_mrr() -> None:
    card = customer_card(ACME, cards=LINKS, signals=TOLD, minimal=True)
    assert_valid_message(card.blocks, text=card.text)
    dumped = json.dumps(card.blocks) + card.text
    assert "38" not in dumped and "csm@" not in dumped and "1,250" not in dumped


def test_no_signals_no_extra_fields() -> None:
    assert len(field_texts(customer_card(ACME, cards=LINKS).blocks)) == 6
    assert len(field_texts(customer_card(ACME, cards=LINKS, signals=Signals()).blocks)) == 6


@pytest.mark.parametrize(
    ("score", "previous", "text"),
    [(38, 72, "38, down from 72"), (80, 60, "80, up from 60"), (50, 50, "50"), (0, None, "0")],
)
def test_health_text(score: int, previous: int | None, text: str) -> None:
    assert health_text(score, previous) == text


def test_owner_text_is_escaped() -> None:
    card = customer_card(ACME, cards=LINKS, signals=Signals(owner_email="a&b@example.com"))
    assert "*Owner*\na&amp;b@example.com" in field_texts(card.blocks)
