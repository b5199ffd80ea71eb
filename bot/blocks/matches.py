"""Several customers matched: a short list to pick from."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks import ids
from bot.blocks.customer import status_label
from bot.blocks.message import Block, Message
from bot.blocks.picker import picker_section
from bot.blocks.text import cut, escape
from bot.pivotal.models import Customer


def match_list(
    what: str, customers: Sequence[Customer], *, total: int | None = None, limit: int = 10
) -> Message:
    """Up to `limit` of the `total` matches, each with a Show button that opens its card."""
    total = max(total or 0, len(customers))
    shown = escape(cut(what, 80))
    intro = f"{total} customers match *{shown}*. Pick one:"
    if total > limit:
        intro = f"More than {limit} customers match *{shown}* ({total} in all); the first {limit}:"
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": intro}}]
    for customer in customers[:limit]:
        line = f"*{escape(cut(customer.name, 150))}* · #{customer.display_id}"
        line += f" · {status_label(customer.status)}"
        if customer.domain:
            line += f" · {escape(cut(customer.domain, 100))}"
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": line},
                "accessory": {
                    "type": "button",
                    "action_id": ids.PICK_CUSTOMER,
                    "text": {"type": "plain_text", "text": "Show"},
                    "value": ids.customer_value(customer.id, customer.display_id),
                },
            }
        )
    blocks.append(picker_section("Not there? Search by name:"))
    return Message(text=f"{total} customers match {shown}", blocks=blocks)


def mentioned_list(customers: Sequence[Customer]) -> Message:
    """The customers a message mentions (the "Look up customer" shortcut), to pick from."""
    return match_list("that message", customers)
