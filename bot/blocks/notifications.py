"""A follow's notification: what changed for one customer, as one Slack message (pure).

The customer's name links to its Pivotal page; each change is told in words ("Health 72 →
58"); changes folded together read "3 changes: …". A context line names the follow and who
set it up, and an overflow menu snoozes the customer in this conversation or unfollows.
In `minimal` mode (Slack Connect) internal fields are left out: MRR, plan, health, owner,
orders and contacts, and segment filters that name them. When nothing is left, there is
no message (None). Every text from Pivotal or a filter is escaped and cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.blocks import ids
from bot.blocks.customer import status_name
from bot.blocks.message import Block, Message
from bot.blocks.text import cut, escape, money
from bot.follows.model import Follow, Notice

INTERNAL = frozenset({"mrr", "plan", "health", "owner", "orders", "contacts"})  # not in minimal
NAME_LIMIT = 80
VALUE_LIMIT = 100
SEGMENT_LIMIT = 200
TEXT_LIMIT = 2900  # section text (Slack's limit is 3000)
FALLBACK_LIMIT = 600
MAX_LINES = 20  # changes listed in one message; the rest are counted
# A segment filter naming an internal field (`mrr>5000`, `plan:enterprise`) is not shown.
_INTERNAL_TERM = re.compile(
    r"\b(mrr|arr|plan|health|owner|orders?|contacts?|revenue|amount)\b", re.IGNORECASE
)

SNOOZE_DAY = "snooze_day"
SNOOZE_WEEK = "snooze_week"
UNFOLLOW = "unfollow"
MENU_CHOICES = (SNOOZE_DAY, SNOOZE_WEEK, UNFOLLOW)


def visible(notices: Sequence[Notice], *, minimal: bool) -> tuple[Notice, ...]:
    """The notices a channel may see: all of them, or (minimal) none of the internal ones."""
    if not minimal:
        return tuple(notices)
    return tuple(
        n
        for n in notices
        if n.kind not in INTERNAL and not (n.kind == "segment" and _internal_segment(n))
    )


def notification_message(
    follow: Follow,
    display_id: int,
    notices: Sequence[Notice],
    *,
    name: str | None,
    url: str,
    currency: str,
    minimal: bool = False,
    latest: Sequence[Notice] = (),
    latest_at: str | None = None,
) -> Message | None:
    """The message for `notices` of customer `display_id`; None when minimal leaves nothing.

    `latest` (a thread's parent being edited) is the newest change told in its thread,
    `latest_at` when (words, e.g. "14:05 UTC").
    """
    shown = visible(notices, minimal=minimal)
    if not shown:
        return None
    title = escape(cut((name or "").strip() or f"Customer #{display_id}", NAME_LIMIT))
    words = [notice_words(n, currency) for n in shown]
    head = f"*<{url}|{title}>*"
    if len(words) == 1:
        body = f"{head} · {words[0]}"
    else:
        lines = [f"• {w}" for w in words[:MAX_LINES]]
        if len(words) > MAX_LINES:
            lines.append(f"…and {len(words) - MAX_LINES} more")
        body = f"{head} · {len(words)} changes\n" + "\n".join(lines)
    section: Block = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": cut(body, TEXT_LIMIT)},
        "accessory": _menu(follow, display_id),
    }
    blocks: list[Block] = [section]
    newest = visible(latest, minimal=minimal)
    if newest:
        when = f" ({escape(latest_at)})" if latest_at else ""
        told = "; ".join(notice_words(n, currency) for n in newest)
        blocks.append(_context(cut(f":bell: Latest{when}: {told}. More in the thread.", 2900)))
    blocks.append(_context(follow_line(follow, minimal=minimal)))
    return Message(text=_fallback(title, display_id, shown, currency), blocks=blocks)


def notice_words(notice: Notice, currency: str) -> str:
    """One change in words: "Status: Active → At risk", "Health 72 → 58", "Owner → sam@…"."""
    kind = notice.kind
    if kind == "status":
        return f"Status: {_status(notice.before)} → {_status(notice.after)}"
    if kind == "mrr":
        return f"MRR {_money(notice.before, currency)} → {_money(notice.after, currency)}"
    if kind == "owner":
        return f"Owner → {_plain(notice.after)}"
    if kind == "segment":
        if notice.after is not None:
            return f"Entered segment `{_segment(notice.after)}`"
        return f"Left segment `{_segment(notice.before or '')}`"
    if kind == "created":
        return "New customer"
    if kind == "quiet":
        return (
            f"More than {_plain(notice.after)} changes in 10 minutes: "
            "the rest of this hour comes as one digest"
        )
    show: Callable[[str | None], str] = _plain
    label = {"health": "Health", "plan": "Plan"}.get(kind) or _humane(kind)
    return f"{label} {show(notice.before)} → {show(notice.after)}"


def followed(follow: Follow, *, minimal: bool = False) -> str:
    """What the follow follows, in words ("customer #42", "segment `status:at_risk`")."""
    segment = follow.target.segment
    if segment is None:
        return f"customer #{follow.target.display_id}"
    if minimal and _INTERNAL_TERM.search(segment):
        return "a segment"
    return f"segment `{_segment(segment)}`"


def follow_line(follow: Follow, *, minimal: bool = False) -> str:
    """The context line: what the follow follows and who set it up."""
    what = followed(follow, minimal=minimal)
    who = f"<@{follow.created_by}>" if _slack_id(follow.created_by) else "someone"
    if follow.destination.personal:
        return f"Your follow of {what} · `/customer following` to change"
    return f"Following {what} · set up by {who} · `/customer following` to change"


def menu_value(choice: str, follow_id: int, display_id: int) -> str:
    """An overflow option's value: `snooze_day:<follow id>:<display id>`."""
    return f"{choice}:{follow_id}:{display_id}"


def menu_choice(value: str) -> tuple[str, int, int] | None:
    """(choice, follow id, display id) from an option's value; None if not one of ours."""
    choice, _, rest = value.partition(":")
    follow_id, _, display_id = rest.partition(":")
    if choice not in MENU_CHOICES or not follow_id.isdigit() or not display_id.isdigit():
        return None
    if len(follow_id) > 18 or len(display_id) > 18:
        return None
    return choice, int(follow_id), int(display_id)


def _menu(follow: Follow, display_id: int) -> Block:
    def option(text: str, choice: str) -> Block:
        return {
            "text": {"type": "plain_text", "text": text},
            "value": menu_value(choice, follow.id, display_id),
        }

    return {
        "type": "overflow",
        "action_id": ids.NOTIFICATION_MENU,
        "options": [
            option("Snooze this customer here for a day", SNOOZE_DAY),
            option("Snooze this customer here for a week", SNOOZE_WEEK),
            option("Unfollow", UNFOLLOW),
        ],
    }


def _fallback(title: str, display_id: int, shown: Sequence[Notice], currency: str) -> str:
    """Plain words that make sense alone (a push notification): no links, no markup."""
    words = [notice_words(n, currency).replace("`", "") for n in shown]
    said = words[0] if len(words) == 1 else f"{len(words)} changes: " + ", ".join(words)
    return cut(f"{title} (#{display_id}): {said}", FALLBACK_LIMIT)


def _internal_segment(notice: Notice) -> bool:
    return bool(_INTERNAL_TERM.search(f"{notice.before or ''} {notice.after or ''}"))


def _slack_id(value: str) -> bool:
    return bool(re.fullmatch(r"[UW][A-Z0-9]{2,19}", value))


def _plain(value: str | None) -> str:
    return escape(cut(value, VALUE_LIMIT)) if value else "none"


def _segment(text: str) -> str:
    return escape(cut(text, SEGMENT_LIMIT)).replace("`", "'")


def _humane(kind: str) -> str:
    words = " ".join(kind.replace("_", " ").split()) or "change"
    return escape(cut(words[:1].upper() + words[1:], 40))


def _status(value: str | None) -> str:
    return status_name(value) if value else "none"


def _money(value: str | None, currency: str) -> str:
    return money(int(value), currency) if value and value.lstrip("-").isdigit() else "none"


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def follow_stopped(follow: Follow, reason: str, *, minimal: bool = False) -> Message:
    """The DM to a follow's creator: which follow stopped, why, and what to do instead."""
    what = follow_line(follow, minimal=minimal).split(" · ")[0]
    where = f"<#{follow.destination.channel_id}>" if _channel_id(follow) else "its conversation"
    why = escape(cut(reason, 300))
    text = (
        f":warning: A follow you set up stopped: {what[0].lower()}{what[1:]} in {where}. "
        f"Slack said: {why}. Invite the app back to the channel and follow again, have the "
        "notifications sent to you here instead, or delete the follow."
    )
    value = str(follow.id)
    buttons: Block = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": ids.FOLLOW_MOVE_TO_DM,
                "text": {"type": "plain_text", "text": "Send to my DM instead"},
                "style": "primary",
                "value": value,
            },
            {
                "type": "button",
                "action_id": ids.FOLLOW_DELETE,
                "text": {"type": "plain_text", "text": "Delete the follow"},
                "style": "danger",
                "value": value,
            },
        ],
    }
    plain = what.replace("`", "")
    fallback = (
        f"A follow you set up stopped: {plain[0].lower()}{plain[1:]}. Slack said: {why}. "
        "Send it to your DM instead, or delete it."
    )
    return Message(text=fallback, blocks=[_section(text), buttons])


def said(text: str, emoji: str = ":white_check_mark:") -> Message:
    """A short confirmation (ephemeral, beside the message clicked)."""
    return Message(text=text, blocks=[_section(f"{emoji} {text}")])


def _channel_id(follow: Follow) -> bool:
    return bool(re.fullmatch(r"[CG][A-Z0-9]{2,19}", follow.destination.channel_id))


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, TEXT_LIMIT)}}
