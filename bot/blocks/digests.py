"""A follow's digest: what changed for each customer over a day (or a quiet hour) (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.message import Block, Message
from bot.blocks.notifications import follow_line, followed, notice_words, visible
from bot.blocks.text import cut, escape
from bot.follows.model import Follow, Notice

MAX_CUSTOMERS = 30  # lines in one digest; the rest are counted

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
    shown = [(name, url, visible(notices, minimal=minimal)) for name, url, notices in lines]
    shown = [line for line in shown if line[2]]
    what = followed(follow, minimal=minimal)
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
    blocks.append(_context(follow_line(follow, minimal=minimal)))
    count = len(shown)
    text = f"{'Changes' if quiet_hour else 'Daily digest'} for {what}: "
    text += f"{count} customer{'s' if count != 1 else ''} changed" if count else "nothing changed"
    return Message(text=cut(text.replace("*", ""), 300), blocks=blocks)


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
