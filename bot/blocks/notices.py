"""User-facing notices: lookups that did not end in a card, refusals, failures; all wording here."""

from __future__ import annotations

import math
import re

from bot.blocks.help import USAGE
from bot.blocks.message import Block, Message
from bot.blocks.picker import picker_section
from bot.blocks.text import cut, escape
from bot.pivotal.headers import clamp_wait

_WHAT_LIMIT = 80
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,19}")


def not_found(what: str) -> Message:
    shown = escape(cut(what, _WHAT_LIMIT))
    text = f"No customer matches {shown}. Check the number, or try a name or a Pivotal link."
    if what.startswith("#") and what[1:].isdigit():
        text = f"There is no customer {shown} in Pivotal (it may have been deleted)."
    return _message(f":mag: {text}", text)


def unlinked_channel(channel_id: str) -> Message:
    # Only channels can be linked; a DM or group DM gets plainer words.
    where = (
        f"This channel (<#{channel_id}>)" if _CHANNEL.fullmatch(channel_id) else "This conversation"
    )
    text = (
        f"{where} is not linked to a customer in Pivotal, "
        "so `/customer` needs to be told which one."
    )
    blocks = [_section(f":link: {text}"), picker_section("Pick one by name:"), _section(USAGE)]
    return Message(text=text, blocks=blocks)


def invalid_input(reason: str) -> Message:
    # A blank reason would leave the notification text empty.
    shown = escape(cut(reason.strip(), 300)) or "That is not something the bot can look up."
    return Message(text=shown, blocks=[_section(f":thinking_face: {shown}"), _section(USAGE)])


def button_out_of_date() -> Message:
    """A click whose button value is not one of ours (an old card, or forged)."""
    return invalid_input("That button is out of date; run /customer again.")


def key_rejected() -> Message:
    text = (
        "Pivotal rejected the bot's API key, so no customer can be looked up. "
        "A Pivotal admin needs to issue a new key (Admin › API Keys) and update "
        "the bot's PIVOTAL_API_KEY."
    )
    return _message(f":lock: {text}", text)


def rate_limited(retry_after: float | None) -> Message:
    # Headers can say "inf" or "nan": the one clamp keeps the wording sane.
    seconds = max(1, math.ceil(clamp_wait(retry_after)))
    text = (
        f"Pivotal is busy with this workspace's requests. Try again in {seconds} s; "
        "customers looked up recently are still shown from memory."
    )
    return _message(f":hourglass_flowing_sand: {text}", text)


def unavailable() -> Message:
    text = "Pivotal is not answering right now. Try again in a minute."
    return _message(f":warning: {text}", text)


def loading() -> Message:
    text = "The bot is still loading the customer list from Pivotal. Try again in a few seconds."
    return _message(f":hourglass_flowing_sand: {text}", text)


def internal_error() -> Message:
    text = "Something went wrong on the bot's side. It has been logged; please try again."
    return _message(f":warning: {text}", text)


def _message(mrkdwn: str, text: str) -> Message:
    return Message(text=text, blocks=[_section(mrkdwn)])


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, 3000)}}


def nothing_mentioned() -> Message:
    text = (
        "No customer link, #number or known customer name in that message. "
        "Pick one by name instead:"
    )
    return Message(text=text, blocks=[_section(f":mag: {text}"), picker_section("Customer:")])


def not_shared_externally() -> Message:
    text = (
        "This channel is shared with another organisation, so customer cards are not "
        "posted here. The card stays visible only to you."
    )
    return _message(f":lock: {text}", text)
