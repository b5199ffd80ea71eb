"""Filter text cut into terms: `field:value`, `field>value`, quoted values, free words (pure)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.lookup.filter_values import Problem, echo

MAX_TEXT = 500  # characters, once spaces are collapsed: longer text is refused, not cut
FIELDS = ("status", "plan", "mrr", "health", "owner", "orders", "created", "updated", "channel",
          "sort")  # fmt: skip
ALIASES = {"monthly_orders": "orders", "health_score": "health", "owner_email": "owner"}
LISTED = frozenset({"status", "plan", "owner"})  # a comma means "any of"

_FIELD_OP = re.compile(r"([A-Za-z][A-Za-z_]*)(>=|<=|>|<|:|=)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_ENTITY = re.compile(r"&(lt|gt|amp);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&"}
# Slack's own markup: a link or email it turned into <url|label>, and mentions.
_LINK = re.compile(r"<((?:https?|mailto):[^<>|\s]*)(?:\|([^<>]*))?>")
_MENTION = re.compile(r"<[@#!][^<>\s]*>?")
_CLOSING = {'"': '"”', "'": "'’", "“": "”\"", "‘": "’'", "”": "”\"", "’": "’'"}  # fmt: skip
_WORD_END = re.compile(r"[^ ]*")
_VALUE_END = re.compile(r"[^ ,]*")
_LEADING_QUOTED = re.compile(r"(?:^|(?<= ))(?:\"[^\"]*\"|“[^”]*”|'[^']*'|‘[^’]*’)")


@dataclass(frozen=True)
class Term:
    """One piece of a filter: `field` is "" for free text; `text` is what was typed."""

    field: str
    op: str
    values: tuple[str, ...]
    text: str
    quoted: bool = False


def normalise(text: str) -> str:
    """NFKC, Slack's entities undone, `≥`/`≤` spelled out, runs of whitespace as one space."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    text = _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)
    return " ".join(text.replace("≥", ">=").replace("≤", "<=").split())


def clean(text: str) -> str:
    """The text to cut into terms, or a Problem for control characters, length or mentions."""
    if _CONTROL.search(text):
        raise Problem("control", "Filters cannot contain control characters.")
    normal = normalise(text)
    if len(normal) > MAX_TEXT:
        message = f"That filter is {len(normal):,} characters; a filter takes at most {MAX_TEXT}."
        raise Problem("too_long", message)
    normal = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), normal)
    mention = _MENTION.search(normal)
    if mention:
        raise Problem("markup", f"Mentions are not filters: {echo(mention.group())}.")
    return normal


def is_filter_text(text: str) -> bool:
    """True for `mine` and for text with a `field:value` or `field>value` term (known or not).

    A name (`acme`, `42`, `Acme: the company`) or a link is not a filter; a quoted name
    (`"re:Invent"`) never is.
    """
    normal = normalise(text)
    if normal.casefold() == "mine":
        return True
    for token in _LEADING_QUOTED.sub(" ", normal).split():
        match = _FIELD_OP.match(token)
        if match is None or token.startswith("//", match.end()):
            continue
        name = match.group(1).casefold()
        if match.end() < len(token) or ALIASES.get(name, name) in FIELDS:
            return True
    return False


def terms(text: str) -> list[Term]:
    """`text` (already clean) as terms, left to right."""
    found: list[Term] = []
    at = 0
    while at < len(text):
        if text[at] == " ":
            at += 1
            continue
        term, at = _term(text, at)
        found.append(term)
    return found


def _term(text: str, at: int) -> tuple[Term, int]:
    match = _FIELD_OP.match(text, at)
    if match and not text.startswith("//", match.end()):
        name = match.group(1).casefold()
        field = ALIASES.get(name, name)
        start = match.end()
        ends = start == len(text) or text[start] == " "
        # "status: at_risk": the value is the next word, unless that is a term of its own.
        if ends and field in FIELDS and start < len(text) and not _FIELD_OP.match(text, start + 1):
            start, ends = start + 1, False
        if not ends or field in FIELDS:
            values, end = _values(text, start, listed=field in LISTED)
            return Term(field, match.group(2), values, text[at:end]), end
    if text[at] in _CLOSING:
        inner, end = _quoted(text, at)
        return Term("", "", (inner,), text[at:end], quoted=True), end
    end = _end(_WORD_END, text, at)
    return Term("", "", (text[at:end],), text[at:end]), end


def _values(text: str, at: int, *, listed: bool) -> tuple[tuple[str, ...], int]:
    """One value, or several joined by commas for a LISTED field; each may be quoted."""
    values: list[str] = []
    while True:
        if at < len(text) and text[at] in _CLOSING:
            value, at = _quoted(text, at)
        else:
            end = _end(_VALUE_END if listed else _WORD_END, text, at)
            value, at = text[at:end], end
        values.append(value)
        if not (listed and at < len(text) and text[at] == ","):
            return tuple(values), at
        at += 1


def _end(pattern: re.Pattern[str], text: str, at: int) -> int:
    """Where a run of `pattern` (which may be empty, so it always matches) ends."""
    match = pattern.match(text, at)
    assert match is not None
    return match.end()


def _quoted(text: str, at: int) -> tuple[str, int]:
    closers = _CLOSING[text[at]]
    end = next((i for i in range(at + 1, len(text)) if text[i] in closers), -1)
    if end < 0:
        raise Problem("quote", f"A quote is not closed: {echo(text[at:])}.")
    return text[at + 1 : end].strip(), end + 1
