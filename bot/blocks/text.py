"""Text for Slack: mrkdwn escaping, cutting to limits, money and dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Currencies whose symbol goes in front; others are written "1,250 CHF".
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}
_MENTION_LIKE = re.compile(r"[<>&]")
# The start of an entity escape() writes, left open at the end of a cut.
_OPEN_ENTITY = re.compile(r"&(?:a|am|amp|l|lt|g|gt)?\Z")


def escape(text: str) -> str:
    """Escape the three characters mrkdwn gives meaning to, so text cannot ping or link."""
    return _MENTION_LIKE.sub(lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}[m.group()], text)


def cut(text: str, limit: int) -> str:
    """`text` at most `limit` characters, with an ellipsis when something was cut."""
    if len(text) <= limit:
        return text
    # Never leave half an entity (&amp;) at the end; drop only that tail, not an earlier "&".
    cut_text = _OPEN_ENTITY.sub("", text[: limit - 1])
    return cut_text + "…"


def money(cents: int, currency: str) -> str:
    """125000 cents -> "$1,250"; keeps the cents only when there are some."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    amount = f"{units:,}" if rest == 0 else f"{units:,}.{rest:02d}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def count(value: int) -> str:
    return f"{value:,}"


def slack_date(moment: datetime, *, tokens: str = "{date_short}") -> str:
    """A <!date^…> that each viewer sees in their own timezone, with a UTC fallback."""
    # A naive time is taken as UTC (not the host's zone), so the card never depends on TZ.
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # within hours of year 1 or 9999: no real customer date
        return moment.strftime("%b %d, %Y")
    fallback = date_fallback(utc, tokens)
    stamp = int(utc.timestamp())
    if stamp < 0:  # Slack's date token takes no dates before 1970
        return fallback
    return f"<!date^{stamp}^{tokens}|{fallback}>"


def date_fallback(utc: datetime, tokens: str) -> str:
    """`tokens` written out in UTC, as Slack shows them (24-hour times, marked UTC)."""
    day = f"{utc.day}, {utc.year}"
    words = {
        "{date_num}": f"{utc:%Y-%m-%d}",
        "{date_short_pretty}": f"{utc:%b} {day}",
        "{date_short}": f"{utc:%b} {day}",
        "{date_long_pretty}": f"{utc:%A, %B} {day}",
        "{date_long}": f"{utc:%A, %B} {day}",
        "{date_pretty}": f"{utc:%B} {day}",
        "{date}": f"{utc:%B} {day}",
        "{time_secs}": f"{utc:%H:%M:%S} UTC",
        "{time}": f"{utc:%H:%M} UTC",
    }
    for token, text in words.items():
        tokens = tokens.replace(token, text)
    return tokens
