"""The App Home tab and the "Find a customer" modal (pure builders; all wording here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks import ids
from bot.blocks.customer import status_label
from bot.blocks.follow import Shown, home_section
from bot.blocks.message import Block, Message
from bot.blocks.picker import picker_section
from bot.blocks.text import cut, escape
from bot.lookup.portfolio import Row
from bot.pivotal.models import Customer

View = dict[str, Any]
MAX_LISTED = 10
HOME_LISTED = 5  # rows of each list section; "Show all" has the rest
MODAL_TITLE = "Find a customer"


@dataclass(frozen=True)
class HomeList:
    """A Home section over a list: its count, the first few, and a button for all of them."""

    title: str
    count: int
    rows: tuple[Row, ...]
    empty: str  # said instead of rows when there are none (mrkdwn, already safe)
    value: str  # the "Show all" button's value (ids.list_value)


def home_view(
    recent: Sequence[Customer],
    linked: Sequence[Customer],
    lists: Sequence[HomeList] = (),
    follows: Sequence[Shown] | None = None,
) -> View:
    """The user's own Home tab: a search picker, their lists (their customers, those that
    need attention), what they follow (None: not known, left out), recent lookups,
    channel-linked customers."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Find a customer"}},
        picker_section("Search by name, slug or domain; typos are forgiven."),
        {"type": "divider"},
    ]
    for listed in lists:
        blocks += _home_list(listed)
    if follows is not None:
        blocks += home_section(follows)
    blocks.append(_heading("Your recent lookups"))
    blocks += _listing(
        recent, "Nothing yet: customers you look up appear here (only you see them)."
    )
    if linked:
        blocks.append(_heading("Linked to channels you looked up from"))
        blocks += _listing(linked, "")
    return {"type": "home", "blocks": blocks}


def find_modal() -> View:
    """The global shortcut's modal: just the picker."""
    return _modal([picker_section("Which customer?")])


def card_modal(card: Message, ref: str) -> View:
    """The modal once a customer is chosen: the card, and Share to a chosen conversation."""
    share: Block = {
        "type": "input",
        "block_id": ids.SHARE_TARGET_BLOCK,
        "label": {"type": "plain_text", "text": "Share in"},
        "element": {
            "type": "conversations_select",
            "action_id": ids.SHARE_TARGET,
            "placeholder": {"type": "plain_text", "text": "Pick a channel or conversation"},
            "filter": {"include": ["public", "private", "im", "mpim"], "exclude_bot_users": True},
        },
    }
    blocks = [picker_section("Another customer?"), {"type": "divider"}, *card.blocks, share]
    view = _modal(blocks)
    view.update(submit={"type": "plain_text", "text": "Share"}, private_metadata=ref)
    return view


def answer_modal(message: Message) -> View:
    """The modal when the chosen customer cannot be shown: why, and the picker again."""
    return _modal([picker_section("Another customer?"), {"type": "divider"}, *message.blocks])


def notice_modal(text: str) -> View:
    """A modal that only says `text` (mrkdwn, already safe): shared, or why not."""
    return _modal([{"type": "section", "text": {"type": "mrkdwn", "text": cut(text, 3000)}}])


def looking_up_modal() -> View:
    """What the modal shows while the chosen customer is fetched."""
    return notice_modal(":hourglass: Looking it up…")


def sharing_modal() -> View:
    """What the modal shows once Share is pressed, until the card is posted."""
    return notice_modal(":hourglass: Sharing…")


def share_target_missing() -> dict[str, str]:
    """The modal's input errors when Share is pressed with nowhere picked."""
    return {ids.SHARE_TARGET_BLOCK: "Pick where to share the card."}


def shared_modal(channel_id: str) -> View:
    """The card is in `channel_id` now."""
    return notice_modal(f":white_check_mark: Shared in <#{escape(channel_id)}>.")


def share_refused_modal() -> View:
    """Slack did not take the card where it was shared (the bot is not a member there)."""
    return notice_modal(
        ":warning: Slack did not take the card there; invite the bot to that "
        "conversation and try again."
    )


def _modal(blocks: list[Block]) -> View:
    return {
        "type": "modal",
        "callback_id": ids.FIND_MODAL,
        "title": {"type": "plain_text", "text": MODAL_TITLE},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def _home_list(listed: HomeList) -> list[Block]:
    heading: Block = _heading(f"{escape(listed.title)} ({listed.count:,})")
    if listed.count:
        heading["accessory"] = {
            "type": "button",
            "action_id": ids.HOME_LIST,
            "text": {"type": "plain_text", "text": "Show all"},
            "value": listed.value,
        }
    if not listed.rows:
        context = {"type": "context", "elements": [{"type": "mrkdwn", "text": listed.empty}]}
        return [heading, context, {"type": "divider"}]
    rows = [_row(row.customer, health=row.health) for row in listed.rows[:HOME_LISTED]]
    return [heading, *rows, {"type": "divider"}]


def _heading(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}}


def _listing(customers: Sequence[Customer], empty: str) -> list[Block]:
    if not customers:
        return [{"type": "context", "elements": [{"type": "mrkdwn", "text": empty}]}]
    return [_row(c) for c in customers[:MAX_LISTED]]


def _row(customer: Customer, *, health: int | None = None) -> Block:
    # Name, number, status, health: no money on a surface that may be on a shared screen.
    line = f"*{escape(cut(customer.name, 150))}* · #{customer.display_id}"
    line += f" · {status_label(customer.status)}"
    if health is not None:
        line += f" · health {health}"
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": line},
        "accessory": {
            "type": "button",
            "action_id": ids.HOME_RECENT_PICK,
            "text": {"type": "plain_text", "text": "Show"},
            "value": ids.customer_value(customer.id, customer.display_id),
        },
    }
