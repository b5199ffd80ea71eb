"""Follows in Slack's words: confirmations, the channel's notice, `following`, refusals (pure).

Every wording about following lives here; listeners (bot/slack/follow.py) pass in what
they found. Labels handed in are mrkdwn that is already safe (see `customer_label`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.blocks import ids
from bot.blocks.message import Block, Message
from bot.blocks.text import cut, escape, slack_date
from bot.follows.model import DEFAULT_KINDS, KINDS, Follow
from bot.follows.reasons import SNOOZED

MAX_SHOWN = 20  # follows listed in one message (two blocks each; Slack allows 50)
HOME_SHOWN = 15
VALUE_LIMIT = 2000
_SEGMENT_VALUE = "segment"

USAGE = (
    "*Following customers and segments*\n"
    "• `/customer follow 42` (a number, name or link): this channel hears when the "
    "customer changes\n"
    "• `/customer follow status:at_risk plan:enterprise`: customers entering or leaving "
    "that segment, and its customers' changes\n"
    f"• Add kinds to hear only those ({', '.join(KINDS)}), `daily` for one message a day "
    "(`daily at 17`), `me` for your DM with the app instead of the channel\n"
    "• `/customer unfollow 42`, `/customer unfollow status:at_risk`\n"
    "• `/customer following`: this channel's follows and yours, with Unfollow and Snooze"
)


@dataclass(frozen=True)
class Shown:
    """A follow as a list shows it: `label` names its customer or segment (safe mrkdwn)."""

    follow: Follow
    label: str


@dataclass(frozen=True)
class Asked:
    """A segment follow waiting for Confirm: everything needed to create it, in a value."""

    segment: str  # the filter's canonical text ("me" already replaced)
    kinds: frozenset[str]
    digest: bool
    hour: int
    personal: bool


def customer_label(name: str | None, display_id: int) -> str:
    """`*Acme Co.* (#42)`, or `customer #42` when the name is not known."""
    if not name or not name.strip():
        return f"customer *#{display_id}*"
    return f"*{escape(cut(name.strip(), 150))}* (#{display_id})"


def segment_label(segment: str) -> str:
    shown = escape(cut(segment, 300)).replace("`", "'")
    return f"the segment `{shown}`"


def hears(kinds: frozenset[str], *, segment: bool) -> str:
    """What a follow hears, in words."""
    named = "every change" if kinds >= DEFAULT_KINDS else _kinds(kinds) + " changes"
    if segment:
        return f"customers entering or leaving it, and {named} of its customers"
    return named


def how_often(follow_digest: bool, hour: int, timezone: str) -> str:
    if not follow_digest:
        return "as they happen"
    return f"in one message a day at {hour:02d}:00 ({escape(cut(timezone, 60))})"


def usage() -> Message:
    return _say(USAGE, "How to follow customers and segments")


def problem(message: str, *, show_usage: bool = False) -> Message:
    shown = escape(cut(message.strip(), 500))
    blocks = [_section(f":thinking_face: {shown}")] if shown else []
    if show_usage or not shown:
        blocks.append(_section(USAGE))
    return Message(text=shown or "How to follow customers and segments", blocks=blocks)


def not_a_member(channel_id: str, *, private: bool) -> Message:
    where = "this private channel" if private else f"<#{channel_id}>"
    text = (
        f"The bot is not a member of {where}, so it could not post what the channel follows. "
        "Invite it first (`/invite @pivotal`, or the channel's Integrations tab › Add apps), "
        "then follow again. Or add `me` to hear in your DM with the app instead."
    )
    return _say(f":no_entry: {text}", text)


def cannot_see(channel_id: str) -> Message:
    text = (
        "Slack would not tell the bot about this conversation (a private channel it is not "
        "in?), so nothing can be followed here. Invite the bot (`/invite @pivotal`) and "
        "try again, or add `me` to hear in your DM with the app."
    )
    return _say(f":no_entry: {text}", text)


def external_off() -> Message:
    text = (
        "This channel is shared with another organisation, and customer data is kept out "
        "of such channels here (EXTERNAL_UNFURLS=off), so it cannot follow customers. "
        "Add `me` to hear in your DM with the app instead."
    )
    return _say(f":lock: {text}", text)


def only_channels() -> Message:
    text = (
        "Follows notify a channel or your own DM with the app, not a conversation with "
        "other people. Run this in a channel, or add `me` to hear in your DM with the app."
    )
    return _say(f":no_entry: {text}", text)


def store_away() -> Message:
    text = "Follows are kept in the bot's database, which is not answering; try again shortly."
    return _say(f":warning: {text}", text)


def email_unknown() -> Message:
    text = (
        "`owner:me` needs your email, and Slack would not tell it to the bot. "
        "Name the owner instead: `owner:you@example.com`."
    )
    return _say(f":warning: {text}", text)


def several(text: str, matches: Sequence[tuple[str, int]]) -> Message:
    """More than one customer matched a name: each with the command that picks it."""
    lines = [f"Several customers match {escape(cut(text, 80))}; follow one by number:"]
    lines += [f"• {customer_label(name, n)}: `/customer follow {n}`" for name, n in matches[:10]]
    return _say("\n".join(lines), f"Several customers match {cut(text, 80)}")


def followed(
    label: str,
    kinds: frozenset[str],
    *,
    by: str,
    personal: bool,
    segment: bool,
    digest: bool,
    hour: int,
    timezone: str,
    stop: str,
    count: int | None = None,
    delay_seconds: float | None = None,
) -> Message:
    """The message that says a follow exists: in the channel for all to read, or in the DM."""
    who = "You follow" if personal else f"<@{escape(by)}> set this channel to follow"
    now = f" ({count:,} customer{'' if count == 1 else 's'} in it now)" if count is not None else ""
    where = "Notifications come here" if not personal else "Notifications come to this DM"
    text = (
        f":bell: {who} {label}{now}.\n"
        f"{where} for {hears(kinds, segment=segment)}, {how_often(digest, hour, timezone)}."
    )
    notes = [f"To stop: `{escape(stop)}`. `/customer following` lists follows."]
    if delay_seconds is not None:
        notes.append(_delay(delay_seconds))
    blocks = [_section(text), _context(" ".join(notes))]
    plain = f"{'You follow' if personal else 'This channel follows'} {_plain(label)}"
    return Message(text=plain, blocks=blocks)


def already(label: str, kinds: frozenset[str], *, segment: bool, digest: bool, hour: int,
            timezone: str, changed: bool) -> Message:  # fmt: skip
    what = f"{hears(kinds, segment=segment)}, {how_often(digest, hour, timezone)}"
    lead = "Already followed here" if not changed else "Already followed here; updated"
    text = f":bell: {lead}: {label}, for {what}."
    return _say(text, f"{lead}: {_plain(label)}")


def confirmation(asked: Asked, count: int, label: str, *, timezone: str) -> Message:
    """A segment follow before it exists: how many match now, and Confirm / Cancel."""
    where = "your DM with the app" if asked.personal else "this channel"
    text = (
        f"Follow {label} in {where}?\n"
        f"*{count:,}* customer{'' if count == 1 else 's'} match now. {where.capitalize()} "
        f"will hear about {hears(asked.kinds, segment=True)}, "
        f"{how_often(asked.digest, asked.hour, timezone)}."
    )
    buttons = [
        {"type": "button", "action_id": ids.FOLLOW_CONFIRM, "style": "primary",
         "text": {"type": "plain_text", "text": "Follow"}, "value": request_value(asked)},
        {"type": "button", "action_id": ids.FOLLOW_CANCEL,
         "text": {"type": "plain_text", "text": "Cancel"}, "value": "cancel"},
    ]  # fmt: skip
    blocks = [_section(text), {"type": "actions", "elements": buttons}]
    return Message(text=f"Follow {_plain(label)}? {count:,} customers match now.", blocks=blocks)


def cancelled() -> Message:
    return _say("Nothing was followed.", "Nothing was followed.")


def done(label: str, *, personal: bool) -> Message:
    where = "your DM with the app" if personal else "this channel"
    return _say(f":white_check_mark: Following {label} in {where}.", f"Following {_plain(label)}")


def unfollowed(label: str, *, by: str | None = None) -> Message:
    who = f" (by <@{escape(by)}>)" if by else ""
    return _say(f":no_bell: Unfollowed {label}{who}.", f"Unfollowed {_plain(label)}")


def not_following(label: str, *, personal: bool) -> Message:
    where = "You do not follow" if personal else "This channel does not follow"
    return _say(f"{where} {label}. `/customer following` lists follows.",
                f"{where} {_plain(label)}")  # fmt: skip


def not_yours() -> Message:
    text = "That follow notifies someone else's DM; only they can change it."
    return _say(text, text)


def snoozed(label: str, reason: str) -> Message:
    return _say(f":zzz: {label}: {escape(reason)}.", f"{_plain(label)}: {reason}")


def resumed(label: str) -> Message:
    return _say(f":bell: {label} speaks again.", f"{_plain(label)} speaks again")


def following_list(
    channel: Sequence[Shown],
    personal: Sequence[Shown],
    *,
    channel_id: str,
    delay_seconds: float | None,
) -> Message:
    """`/customer following`: this channel's follows and the asker's own, with buttons."""
    blocks: list[Block] = []
    shown = 0
    for title, rows, empty in (
        (f"Followed in <#{escape(channel_id)}>" if channel_id[:1] in "CG" else "Followed here",
         channel, "Nothing is followed in this channel."),
        ("Your own (in your DM with the app)", personal, "You follow nothing yourself."),
    ):  # fmt: skip
        blocks.append(_section(f"*{title}* ({len(rows)})"))
        if not rows:
            blocks.append(_context(empty))
        for row in rows[: max(0, MAX_SHOWN - shown)]:
            blocks += _follow_blocks(row)
        shown += min(len(rows), max(0, MAX_SHOWN - shown))
        if len(rows) > MAX_SHOWN:
            blocks.append(_context(f"…and {len(rows) - MAX_SHOWN} more."))
    notes = ["`/customer follow 42` or `/customer follow status:at_risk` to add one."]
    if delay_seconds is not None:
        notes.append(_delay(delay_seconds))
    blocks.append(_context(" ".join(notes)))
    count = len(channel) + len(personal)
    return Message(text=f"{count} follow{'' if count == 1 else 's'}", blocks=blocks[:50])


def home_section(rows: Sequence[Shown]) -> list[Block]:
    """App Home's "You follow": personal follows and those the user set up, each with Unfollow."""
    blocks: list[Block] = [_section(f"*You follow* ({len(rows)})")]
    if not rows:
        blocks.append(_context("Nothing yet: `/customer follow 42` in a channel, or with `me`."))
    for row in rows[:HOME_SHOWN]:
        follow = row.follow
        where = "your DM" if follow.destination.personal else f"<#{follow.destination.channel_id}>"
        line = f"{row.label} · {where}"
        if follow.paused_reason:
            line += f" · :double_vertical_bar: {escape(cut(follow.paused_reason, 200))}"
        blocks.append({
            "type": "section",
            "text": {"type": "mrkdwn", "text": cut(line, 3000)},
            "accessory": _button(ids.FOLLOW_UNFOLLOW, "Unfollow", follow.id),
        })  # fmt: skip
    if len(rows) > HOME_SHOWN:
        blocks.append(_context(f"…and {len(rows) - HOME_SHOWN} more: `/customer following`."))
    blocks.append({"type": "divider"})
    return blocks


def request_value(asked: Asked) -> str:
    """The Confirm button's value: `segment|c or p|kinds|digest|hour|filter text`."""
    kinds = ",".join(sorted(asked.kinds))
    where = "p" if asked.personal else "c"
    # Never cut (a cut filter is another segment): fits() is checked before it is offered.
    return f"{_SEGMENT_VALUE}|{where}|{kinds}|{int(asked.digest)}|{asked.hour}|{asked.segment}"


def fits(asked: Asked) -> bool:
    """Whether the Confirm button can carry `asked` (Slack's 2,000-character value)."""
    return len(request_value(asked)) <= VALUE_LIMIT


def request_of(action: Mapping[str, Any]) -> Asked | None:
    """What a Confirm button asks for, or None if the value is not one of ours."""
    parts = str(action.get("value") or "").split("|", 5)
    if len(parts) != 6 or parts[0] != _SEGMENT_VALUE or parts[1] not in ("c", "p"):
        return None
    kinds = frozenset(k for k in parts[2].split(",") if k)
    if not kinds or not kinds <= DEFAULT_KINDS or parts[3] not in ("0", "1"):
        return None
    if not parts[4].isdigit() or not 0 <= int(parts[4]) <= 23 or not parts[5].strip():
        return None
    return Asked(parts[5], kinds, parts[3] == "1", int(parts[4]), parts[1] == "p")


def _follow_blocks(row: Shown) -> list[Block]:
    follow = row.follow
    details = [
        f"{row.label}",
        f"hears {hears(follow.kinds, segment=follow.target.segment is not None)}, "
        f"{how_often(follow.digest, follow.digest_hour, follow.timezone)}",
        f"set up by <@{escape(follow.created_by)}> {_when(follow.created_at)}",
    ]
    status = [
        "last notification "
        + (_when(follow.last_notified_at) if follow.last_notified_at else "none yet")
    ]
    if follow.last_error:
        status.append(f"last error: {escape(cut(follow.last_error, 200))}")
    if follow.paused_reason:
        reason = escape(cut(follow.paused_reason, 200))
        status.insert(0, f":double_vertical_bar: *paused: {reason}*")
    text = "\n".join([details[0], " · ".join(details[1:]), " · ".join(status)])
    snoozing = (follow.paused_reason or "").startswith(SNOOZED)
    buttons = [_button(ids.FOLLOW_UNFOLLOW, "Unfollow", follow.id)]
    if follow.active:
        buttons.append(_button(ids.FOLLOW_SNOOZE, "Snooze for a day", follow.id))
    elif snoozing:
        buttons.append(_button(ids.FOLLOW_RESUME, "Resume now", follow.id))
    return [_section(cut(text, 3000)), {"type": "actions", "elements": buttons}]


def _button(action_id: str, label: str, follow_id: int) -> Block:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": ids.follow_value(follow_id),
    }


def _kinds(kinds: frozenset[str]) -> str:
    names = [("MRR" if k == "mrr" else k) for k in KINDS if k in kinds]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def _when(at: float) -> str:
    return slack_date(datetime.fromtimestamp(at, tz=UTC), tokens="{date_short_pretty} at {time}")


def _delay(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"Without Pivotal webhooks, changes are noticed when the customer list is read "
        f"again: up to {minutes} {unit} late."
    )


def _plain(label: str) -> str:
    return label.replace("*", "").replace("`", "")


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, 3000)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, 3000)}]}


def _say(mrkdwn: str, text: str) -> Message:
    return Message(text=cut(text, 3000), blocks=[_section(mrkdwn)])
