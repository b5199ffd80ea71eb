"""Customers a message mentions: customer links, `#42`-style numbers, known names (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from bot.lookup.query import CustomerLink, IdQuery, parse_customer_link
from bot.pivotal.refs import DISPLAY_ID_RE

T = TypeVar("T")

MAX_TEXT = 4000  # characters of a message read; a lookup needs no more
MAX_WORDS = 400
MAX_PHRASE = 5  # words in the longest name tried
MAX_FOUND = 10

_URL = re.compile(r"https?://[^\s<>|]+")
_NUMBER = re.compile(r"(?<![\w#&])#([0-9]{1,12})\b")
_WORD = re.compile(r"[^\W_]+(?:['’.&-][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Mentions:
    links: tuple[CustomerLink, ...]
    numbers: tuple[IdQuery, ...]
    phrases: tuple[str, ...]  # runs of up to MAX_PHRASE words, longest first


def find_mentions(text: str, *, app_url: str) -> Mentions:
    """What in `text` may name a customer; names are checked against the directory later."""
    text = text[:MAX_TEXT]
    links = _unique(
        link
        for url in _URL.findall(text)
        if (link := parse_customer_link(url.rstrip(".,;:!?)"), app_url=app_url)) is not None
    )
    bare = _URL.sub(" ", re.sub(r"<[^<>]*>", " ", text))
    numbers = _unique(
        IdQuery(str(int(n))) for n in _NUMBER.findall(bare) if DISPLAY_ID_RE.fullmatch(str(int(n)))
    )
    words = _WORD.findall(bare)[:MAX_WORDS]
    phrases = _unique(
        " ".join(words[i : i + size])
        for size in range(MAX_PHRASE, 0, -1)
        for i in range(len(words) - size + 1)
    )
    return Mentions(tuple(links), tuple(numbers), tuple(phrases))


def named_refs(mentions: Mentions, exact: Callable[[str], Iterable[str]]) -> list[str]:
    """Refs of customers whose whole name (or slug or domain) is one of the phrases.

    A phrase inside a longer name already found is skipped ("Acme" inside "Acme Co").
    """
    found: list[str] = []
    taken: list[str] = []
    for phrase in mentions.phrases:
        folded = phrase.casefold()
        if any(f" {folded} " in f" {t} " for t in taken):
            continue
        refs = list(exact(phrase))
        if refs:
            taken.append(folded)
            found.extend(r for r in refs if r not in found)
        if len(found) >= MAX_FOUND:
            break
    return found[:MAX_FOUND]


def _unique(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))
