"""Customers a message mentions: customer links, `#42`-style numbers, known names (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.lookup.directory import Snapshot
from bot.lookup.query import CustomerLink, IdQuery, SlugQuery, parse_customer_link
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


class Known(Protocol):
    """The customer list mentions are checked against (the Directory is the real one)."""

    def get(self, ref: str) -> Snapshot | None: ...

    def by_slug(self, slug: str) -> Snapshot | None: ...

    def exact(self, text: str) -> tuple[Snapshot, ...]: ...


def mentioned_refs(text: str, *, app_url: str, known: Known) -> list[str]:
    """Refs of the customers `text` mentions, at most MAX_FOUND: links and #numbers first
    (a number the list does not know yet is kept as it is), then whole known names."""
    mentions = find_mentions(text, app_url=app_url)
    refs: list[str] = []
    for link in (*mentions.links, *mentions.numbers):
        if isinstance(link, SlugQuery):
            snap = known.by_slug(link.slug)
            ref = snap.customer.id if snap is not None else None
        else:
            snap = known.get(link.ref)
            ref = snap.customer.id if snap is not None else link.ref
        if ref is not None and ref not in refs:
            refs.append(ref)
    for ref in named_refs(mentions, lambda p: [s.customer.id for s in known.exact(p)]):
        if ref not in refs:
            refs.append(ref)
    return refs[:MAX_FOUND]


def _unique(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))
