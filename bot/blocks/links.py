"""Linking a channel to a customer: the confirmation, its outcome and every refusal (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.blocks import ids
from bot.blocks.message import Block, Message
from bot.blocks.text import cut, escape
from bot.lookup.linkers import Linkers
from bot.lookup.linking import Done, LinkPlan, WriteFailed
from bot.pivotal.headers import clamp_wait
from bot.pivotal.models import Customer
from bot.pivotal.refs import is_safe_customer_ref

_CONVERSATION = re.compile(r"[A-Z0-9]{2,24}")
_DIGEST = re.compile(r"[0-9a-f]{12}")
_FIX_KEY = (
    "A Pivotal admin needs to issue a new key (Admin › API Keys) and update the bot's "
    "PIVOTAL_API_KEY."
)
LINK_USAGE = (
    "• `/customer link 42` in a customer's channel: link the channel to that customer "
    "(a number, name or Pivotal link)\n"
    "• `/customer unlink` in a channel: remove its link"
)


@dataclass(frozen=True)
class LinkRequest:
    """What a Confirm button asks for: link `customer` (None: unlink) to `channel_id`, as
    the confirmation showed it (`digest`)."""

    customer: str | None
    channel_id: str
    digest: str


def confirm_value(plan: LinkPlan) -> str:
    """The Confirm button's value: `link:<customer>:<channel>:<digest>` or `unlink:…`."""
    if plan.customer is None:
        return f"unlink:{plan.channel_id}:{plan.digest()}"
    customer = plan.customer
    ref = customer.id if is_safe_customer_ref(customer.id) else str(customer.display_id)
    return f"link:{ref}:{plan.channel_id}:{plan.digest()}"


def link_request(action: Mapping[str, Any]) -> LinkRequest | None:
    """The request a Confirm button names, or None when the value is not one of ours."""
    parts = str(action.get("value") or "").split(":")
    if parts[:1] == ["unlink"] and len(parts) == 3:
        parts = ["unlink", "", parts[1], parts[2]]
    if len(parts) != 4 or parts[0] not in ("link", "unlink"):
        return None
    kind, customer, channel, digest = parts
    if not _CONVERSATION.fullmatch(channel) or not _DIGEST.fullmatch(digest):
        return None
    if kind == "link" and not is_safe_customer_ref(customer):
        return None
    return LinkRequest(customer if kind == "link" else None, channel, digest)


def channel(channel_id: str) -> str:
    """A channel mention Slack renders with the channel's name."""
    return f"<#{channel_id}>" if _CONVERSATION.fullmatch(channel_id) else "this channel"


def named(customer: Customer) -> str:
    return f"*{escape(cut(customer.name, 150))}* (#{customer.display_id})"


def confirmation(plan: LinkPlan, *, changed: bool = False) -> Message:
    """What Confirm will change, with Confirm and Cancel."""
    here = channel(plan.channel_id)
    lines: list[str] = []
    if changed:
        lines.append(":arrows_counterclockwise: The links changed since you asked; "
                     "this is what Confirm does now.")  # fmt: skip
    if plan.customer is None:
        names = _names(plan.displaced)
        lines.append(f"Unlink {here} from {names}?")
        lines.append("`/customer` here will no longer know which customer this channel is about.")
        text = f"Unlink this channel from {_plain(plan.displaced)}?"
    else:
        lines.append(f"Link {here} to {named(plan.customer)}?")
        if plan.replaces:
            lines.append(f"{named(plan.customer)} is linked to {channel(plan.replaces)} today; "
                         "it will move here.")  # fmt: skip
        if plan.displaced:
            lines.append(f"This channel is linked to {_names(plan.displaced)} today; "
                         f"{'that link is' if len(plan.displaced) == 1 else 'those links are'} "
                         "removed.")  # fmt: skip
        text = f"Link this channel to {_plain([plan.customer])}?"
    blocks = [_section("\n".join(lines)), _buttons(plan)]
    return Message(text=cut(text, 300), blocks=blocks)


def already_linked(plan: LinkPlan) -> Message:
    assert plan.customer is not None
    text = f"{channel(plan.channel_id)} is already linked to {named(plan.customer)}; "
    text += "nothing changed."
    return _message(f":link: {text}", text)


def nothing_to_unlink(channel_id: str) -> Message:
    text = f"{channel(channel_id)} is not linked to any customer; nothing changed."
    return _message(f":link: {text}", text)


def done(result: Done) -> Message:
    """The writes went through: what is linked now."""
    plan, here = result.plan, channel(result.plan.channel_id)
    if result.linked is None:
        text = f"Unlinked {here} from {_names(result.cleared)}."
        return _message(f":white_check_mark: {text}", text)
    lines = [f"Linked {here} to {named(result.linked)}."]
    if plan.replaces:
        lines.append(f"It is no longer linked to {channel(plan.replaces)}.")
    if result.cleared:
        verb = "is" if len(result.cleared) == 1 else "are"
        lines.append(f"{_names(result.cleared)} {verb} no longer linked here.")
    lines.append(f"`/customer` in this channel now shows {named(result.linked)}.")
    return _message(":white_check_mark: " + "\n".join(lines), lines[0])


def failed(result: WriteFailed) -> Message:
    """A write failed: why, in plain words, and what state Pivotal is left in."""
    why = _why(result)
    if result.left:
        stays = ", ".join(f"{named(c)} (linked to {channel(c.slack_channel_id or '')})"
                          if c.slack_channel_id else f"{named(c)} (not linked)"
                          for c in result.left)  # fmt: skip
        after = (f":warning: Putting back the earlier change failed too, so it stands: "
                 f"{stays}. Check the links in Pivotal.")  # fmt: skip
    elif result.undone:
        after = f"The change to {_names(result.undone)} was put back, so nothing changed."
    else:
        after = "Nothing changed."
    text = f"{why} {after}"
    return _message(f":warning: {text}", text)


def _why(result: WriteFailed) -> str:
    on = named(result.failed_on)
    if result.kind == "refused":
        reason = escape((result.reason or "").rstrip(". ") or "it gave no reason")
        return f"Pivotal refused the change to {on}: {reason}."
    if result.kind == "auth":
        return f"Pivotal rejected the bot's API key, so {on} could not be changed. {_FIX_KEY}"
    if result.kind == "rate_limited":
        seconds = max(1, math.ceil(clamp_wait(result.retry_after)))
        return f"Pivotal is busy with this workspace's requests; try again in {seconds} s."
    if result.kind == "not_found":
        return f"Pivotal no longer has {on} (it may have been deleted)."
    return f"Pivotal is not answering right now, so {on} could not be changed; try again soon."


def cancelled() -> Message:
    return _message("Nothing changed.", "Nothing changed.")


def only_channels() -> Message:
    text = (
        "Only channels can be linked to a customer, not direct messages or group DMs. "
        "Run `/customer link 42` in the customer's channel."
    )
    return _message(f":link: {text}", text)


def link_usage() -> Message:
    text = "Which customer should this channel be linked to?"
    return Message(text=text, blocks=[_section(f":link: {text}"), _section(LINK_USAGE)])


def not_a_customer() -> Message:
    text = "Name a customer to link: a number, a name or a Pivotal link (not a channel)."
    return Message(text=text, blocks=[_section(f":link: {text}"), _section(LINK_USAGE)])


def several(what: str, customers: Sequence[Customer], total: int) -> Message:
    """More than one customer matched the name: link by number instead."""
    shown = escape(cut(what, 80))
    lines = [f"{total} customers match *{shown}*. Link one by its number:"]
    lines += [f"• {named(c)}: `/customer link {c.display_id}`" for c in customers[:10]]
    return _message("\n".join(lines), f"{total} customers match {shown}")


def who_may_link(linkers: Linkers) -> str:
    """Who CHANNEL_LINKERS lets link channels, in words."""
    if linkers.kind == "admins":
        return "workspace admins"
    if linkers.kind == "everyone":
        return "everyone"
    people = [f"<@{u}>" for u in sorted(linkers.users)]
    people += [f"<!subteam^{g}>" for g in sorted(linkers.groups)]
    return ", ".join(people)


def not_allowed(linkers: Linkers) -> Message:
    text = (
        f"Only {who_may_link(linkers)} can link channels "
        f"(CHANNEL_LINKERS={cut(linkers.setting(), 200)})."
    )
    return _message(f":lock: {text}", text)


def cannot_check(linkers: Linkers, error: str, *, groups: Sequence[str] = ()) -> Message:
    """Slack would not say who the asker is (or who is in a group): refused, failing closed."""
    if groups:
        listed = ", ".join(f"<!subteam^{g}>" for g in groups)
        what = f"Slack would not list the members of {listed}"
    else:
        what = f"Slack would not say whether you are a workspace admin ({escape(cut(error, 60))})"
    text = (
        f"{what}, so the bot cannot let you link channels. Only {who_may_link(linkers)} can "
        f"(CHANNEL_LINKERS={cut(linkers.setting(), 200)})."
    )
    return _message(f":lock: {text}", text)


def _names(customers: Sequence[Customer]) -> str:
    shown = [named(c) for c in customers[:10]]
    if len(customers) > 10:
        shown.append(f"{len(customers) - 10} more")
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _plain(customers: Sequence[Customer]) -> str:
    return ", ".join(f"{escape(cut(c.name, 150))} (#{c.display_id})" for c in customers[:5])


def _buttons(plan: LinkPlan) -> Block:
    confirm = {
        "type": "button",
        "action_id": ids.LINK_CONFIRM,
        "style": "primary" if plan.customer is not None else "danger",
        "text": {"type": "plain_text", "text": "Confirm"},
        "value": confirm_value(plan),
    }
    cancel = {
        "type": "button",
        "action_id": ids.LINK_CANCEL,
        "text": {"type": "plain_text", "text": "Cancel"},
        "value": "cancel",
    }
    return {"type": "actions", "elements": [confirm, cancel]}


def _message(mrkdwn: str, text: str) -> Message:
    return Message(text=cut(text, 3000), blocks=[_section(mrkdwn)])


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, 3000)}}
