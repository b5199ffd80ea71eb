"""The digest message: valid Block Kit, inert text, words per change, minimal mode, limits."""

from __future__ import annotations

from bot.blocks.digests import MAX_CUSTOMERS, digest_message
from bot.follows.model import Destination, Follow, Notice, Target
from tests.blockkit import assert_inert, block_kit_problems

FOLLOW = Follow(Target(segment="status:at_risk"), Destination("C1"), created_by="U1", id=1)


def test_a_digest_is_valid_and_inert_and_counts_what_it_cannot_show() -> None:
    status = (Notice("status", "active", "at_risk"),)
    lines = [(f"<@U9> Customer {n}", f"https://my.pivotal.app/customers/{n}", status)
             for n in range(MAX_CUSTOMERS + 5)]  # fmt: skip
    message = digest_message(FOLLOW, "2026-12-04", lines, currency="USD")
    assert block_kit_problems(message.blocks) == []
    assert_inert(message.text)
    # The bot's own links and the creator's mention are the only markup; names are inert.
    shown = str(message.blocks)
    assert "<@U9>" not in shown and "&lt;@U9&gt; Customer 0" in shown
    assert "…and 5 more customers." in str(message.blocks)
    assert message.text == "Daily digest for segment `status:at_risk`: 35 customers changed"


def test_minimal_leaves_out_internal_fields_and_customers_left_with_nothing() -> None:
    lines = [("Acme", None, (Notice("mrr", "1", "2"), Notice("status", "active", "churned"))),
             ("Globex", None, (Notice("health", "70", "40"),))]  # fmt: skip
    message = digest_message(FOLLOW, "2026-12-04", lines, currency="USD", minimal=True)
    shown = str(message.blocks)
    assert "Status: Active → Churned" in shown
    assert "MRR" not in shown and "Globex" not in shown
    empty = digest_message(FOLLOW, "2026-12-04", lines[1:], currency="USD", minimal=True)
    assert "Nothing changed." in str(empty.blocks)
