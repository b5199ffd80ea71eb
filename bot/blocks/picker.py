"""The type-ahead customer picker (external_select) and the options it is given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks import ids
from bot.blocks.message import Block
from bot.blocks.text import cut
from bot.pivotal.models import Customer

MAX_OPTIONS = 100  # Slack's limit for one options answer
LABEL_LIMIT = 75  # characters of an option's text
VALUE_LIMIT = 150  # characters of an option's value
PLACEHOLDER = "Type a customer's name"


def picker_element(placeholder: str = PLACEHOLDER) -> Block:
    """An external_select whose options come from the bot as the user types."""
    return {
        "type": "external_select",
        "action_id": ids.PICKER,
        "placeholder": {"type": "plain_text", "text": cut(placeholder, 150)},
        "min_query_length": 1,
    }


def picker_section(prompt: str) -> Block:
    """A line of mrkdwn `prompt` (already safe) with the picker beside it."""
    return {
        "type": "section",
        "block_id": ids.PICKER_BLOCK,
        "text": {"type": "mrkdwn", "text": cut(prompt, 3000)},
        "accessory": picker_element(),
    }


def option_label(customer: Customer) -> str:
    """Name and #number only, never money: other people may be looking at the screen."""
    number = f" · #{customer.display_id}"
    name = " ".join(customer.name.split()) or "Customer"
    return cut(name, LABEL_LIMIT - len(number)) + number


def option_value(customer: Customer) -> str:
    value = ids.customer_value(customer.id, customer.display_id)
    if len(value) > VALUE_LIMIT:
        value = ids.encode_customer_value(str(customer.display_id))
    return value


def picker_options(customers: Sequence[Customer]) -> list[dict[str, Any]]:
    """The options answer for a block_suggestion: at most MAX_OPTIONS, best first."""
    return [
        {"text": {"type": "plain_text", "text": option_label(c)}, "value": option_value(c)}
        for c in customers[:MAX_OPTIONS]
    ]
