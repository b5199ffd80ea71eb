"""A follow's digest: what changed for each customer over a day (or a quiet hour) (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.blocks.customer import status_name
from bot.blocks.message import Block, Message
from bot.blocks.text import cut, escape, money
from bot.follows.model import Follow, Notice

MAX_CUSTOMERS = 30  # lines in one digest; the rest are counted
INTERNAL = frozenset({"mrr", "plan", "health", "owner", "orders", "contacts"})  # not in minimal

Line = tuple[str, str | None, tuple[Notice, ...]]  # name, its Pivotal URL, what changed


def digest_message(
    follow: Follow,
    period: str,
    lines: Sequence[Line],
    *,
    currency: str,
    minimal: bool = False,
    quiet_hour: bool = False,
) -> Message:
    """`lines` per customer; `period` the day (or `YYYY-MM-DDTHH` of a quiet hour)."""
    shown = [(name, url, _visible(notices, minimal)) for name, url, notices in lines]
    shown = [line for line in shown if line[2]]
    what = _target(follow)
    if quiet_hour:
        day, _, hour = period.partition("T")
        head = f":bell: *Changes from {day} {hour}:00–{hour}:59 UTC* · {what}"
    else:
        head = f":bell: *Daily digest for {period}* · {what}"
    blocks: list[Block] = [_section(head)]
    if not shown:
        blocks.append(_section("Nothing changed."))
    for name, url, notices in shown[:MAX_CUSTOMERS]:
        title = escape(cut(name, 80))
        title = f"<{url}|{title}>" if url else title
        words = "; ".join(notice_words(n, currency) for n in notices)
        blocks.append(_section(cut(f"*{title}*: {words}", 2900)))
    if len(shown) > MAX_CUSTOMERS:
        blocks.append(_section(f"…and {len(shown) - MAX_CUSTOMERS} more customers."))
    blocks.append(_context(f"Set up by <@{follow.created_by}> · `/customer following` to change"))
    count = len(shown)
    text = f"{'Changes' if quiet_hour else 'Daily digest'} for {what}: "
    text += f"{count} customer{'s' if count != 1 else ''} changed" if count else "nothing changed"
    return Message(text=cut(text.replace("*", ""), 300), blocks=blocks)


def notice_words(notice: Notice, currency: str) -> str:
    """One change in words: "status Active → At risk", "health 72 → 58"."""
    show: Callable[[str | None], str] = _plain
    if notice.kind == "status":
        show = _status
    elif notice.kind == "mrr":
        show = lambda v: _money(v, currency)  # noqa: E731
    if notice.kind == "segment":
        if notice.after is not None:
            return f"entered `{escape(cut(notice.after, 200))}`"
        return f"left `{escape(cut(notice.before or '', 200))}`"
    if notice.kind == "created":
        return "new customer"
    if notice.kind == "quiet":
        return f"more than {escape(notice.after or '')} changes in 10 minutes"
    return f"{notice.kind} {show(notice.before)} → {show(notice.after)}"


def _visible(notices: tuple[Notice, ...], minimal: bool) -> tuple[Notice, ...]:
    return tuple(n for n in notices if not (minimal and n.kind in INTERNAL))


def _target(follow: Follow) -> str:
    if follow.target.segment is not None:
        return f"`{escape(cut(follow.target.segment, 200))}`"
    return f"customer #{follow.target.display_id}"


def _plain(value: str | None) -> str:
    return escape(cut(value, 100)) if value else "none"


def _status(value: str | None) -> str:
    return status_name(value) if value else "none"


def _money(value: str | None, currency: str) -> str:
    return money(int(value), currency) if value and value.lstrip("-").isdigit() else "none"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
