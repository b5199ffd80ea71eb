"""Forgiving name search: exact, then prefix, then fuzzy matches over name, slug and domain.

Pure and in memory. `SearchIndex` is built once per directory walk: every key is folded
(accents, case and punctuation removed) up front, so a query costs a dict lookup, two
bisections over sorted word suffixes and, only when those found too little, one
`rapidfuzz.process.extract` over the distinct words (never over every customer).
Items are numbered in display order (active before archived and churned, then by name),
so ranking a set of hits is sorting small integers.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Generic, TypeVar

from cachetools import LRUCache
from rapidfuzz import fuzz, process

T = TypeVar("T")

MAX_QUERY = 200  # folded characters; longer text cannot be a name and is not searched
FUZZY_MIN_TOKEN = 3  # shorter words are matched exactly: one letter is not a typo
WORD_CUTOFF = 75.0  # rapidfuzz ratio a typed word needs to stand for a known word
MATCH_CUTOFF = 66.0  # mean word score a customer needs (one word in three may miss)
WORDS_PER_TOKEN = 25  # known words considered for each typed word
ANSWERS = 4096  # recent answers kept: at most 100 items each
MAX_TOKENS = 8  # typed words matched loosely; a name is rarely longer
PREFIX_WORD_SCORE = 90.0  # a typed word that starts a known word ("wid" for "widgets")
INNER_WORD_SCORE = 80.0  # a typed word inside a known word ("tech" in "initech")
_SEPARATORS = re.compile(r"[\W_]+")
_LAST = "\U0010ffff"


_ASCII_SEPARATORS = {c: " " for c in range(128) if not chr(c).isalnum()}


def fold(text: str) -> str:
    """Accent-, case- and punctuation-blind form: "Café Müller, GmbH" -> "cafe muller gmbh"."""
    bare = text.casefold()
    if bare.isascii():  # most names: a translate is several times faster than the regex
        return " ".join(bare.translate(_ASCII_SEPARATORS).split())
    decomposed = unicodedata.normalize("NFKD", bare)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_SEPARATORS.sub(" ", bare).split())


class _Postings:
    """Sorted keys, each with the ascending ranks it belongs to, in flat arrays (compact)."""

    def __init__(self) -> None:
        # While building: most keys belong to one rank, so no list is made for those
        # (100,000 one-element lists would cost tens of MB that fragmentation keeps).
        self._one: dict[str, int] = {}
        self._many: dict[str, list[int]] = {}
        self.keys: list[str] = []
        self._at = array("i", [0])
        self._ranks = array("i")

    def add(self, keys: Iterable[str], rank: int) -> None:
        """Ranks come in ascending order, each key once per rank; `seal` when done."""
        one, many = self._one, self._many
        for key in keys:
            if key in many:
                many[key].append(rank)
            elif key in one:
                many[key] = [one.pop(key), rank]
            else:
                one[key] = rank

    def seal(self) -> None:
        one, many = self._one, self._many
        self.keys = sorted([*one, *many])
        for key in self.keys:
            if key in one:
                self._ranks.append(one[key])
            else:
                self._ranks.extend(many[key])
            self._at.append(len(self._ranks))
        self._one, self._many = {}, {}

    def get(self, key: str) -> array[int]:
        at = bisect_left(self.keys, key)
        if at < len(self.keys) and self.keys[at] == key:
            return self._ranks[self._at[at] : self._at[at + 1]]
        return array("i")

    def starting_with(self, prefix: str) -> array[int]:
        """Ranks of every key that starts with `prefix` (a rank may repeat)."""
        lo = bisect_left(self.keys, prefix)
        hi = bisect_left(self.keys, prefix + _LAST, lo)
        return self._ranks[self._at[lo] : self._at[hi]]


@dataclass(frozen=True, slots=True)
class SearchRow(Generic[T]):
    """One searchable item and the texts it is found by."""

    item: T
    name: str
    slug: str | None = None
    domain: str | None = None
    inactive: bool = False  # archived or churned: shown after active ones


@dataclass(frozen=True, slots=True)
class SearchResult(Generic[T]):
    """The best `hits` (at most the limit asked for) and how many items matched in all."""

    hits: tuple[T, ...]
    total: int


class SearchIndex(Generic[T]):
    """Folded keys of every row, built once; `search` never re-reads the rows."""

    def __init__(self, rows: Iterable[SearchRow[T]]):
        ordered = sorted(
            ((fold(r.name), r) for r in rows), key=lambda pair: (pair[1].inactive, pair[0])
        )
        self._items: list[T] = [row.item for _, row in ordered]
        self._inactive_from = next(
            (rank for rank, (_, row) in enumerate(ordered) if row.inactive), len(ordered)
        )
        # Name, slug, domain and the name without spaces; the same from each word start;
        # and each word.
        self._exact, self._starts, self._words = _Postings(), _Postings(), _Postings()
        for rank, (name, row) in enumerate(ordered):
            slug, domain = fold(row.slug or ""), fold(row.domain or "")
            # A domain counts by its first label only: "com" says nothing about a customer.
            label = fold(row.domain.split(".", 1)[0]) if row.domain else ""
            self._exact.add({name, name.replace(" ", ""), slug, domain} - {""}, rank)
            # A top-level domain alone ("com") is no word of a customer's: left out.
            self._starts.add({*_word_starts(name), *_word_starts(domain)[:-1], slug} - {""}, rank)
            self._words.add({*name.split(), *slug.split(), *label.split()}, rank)
        for postings in (self._exact, self._starts, self._words):
            postings.seal()
        # Numbers are not misspelt names: only words with letters are matched loosely.
        self._vocab = [word for word in self._words.keys if not word.isdigit()]
        # One string of every word, to find the words a typed fragment sits inside.
        self._joined = "\n".join(self._vocab)
        self._word_at = array("i", accumulate((len(w) + 1 for w in self._vocab[:-1]), initial=0))
        self._answers: LRUCache[tuple[str, int], SearchResult[T]] = LRUCache(maxsize=ANSWERS)

    def __len__(self) -> int:
        return len(self._items)

    def search(self, text: str, *, limit: int) -> SearchResult[T]:
        """Exact hits alone if any; else prefix hits, then fuzzy ones when those are few."""
        needle = fold(text)
        if not needle or len(needle) > MAX_QUERY or limit < 1:
            return SearchResult((), 0)
        # Type-ahead asks for the same few letters over and over; the index never changes.
        cached = self._answers.get((needle, limit))
        if cached is None:
            cached = self._answers[(needle, limit)] = self._search(needle, limit)
        return cached

    def _search(self, needle: str, limit: int) -> SearchResult[T]:
        exact = self._exact.get(needle) or self._exact.get(needle.replace(" ", ""))
        if exact:
            return SearchResult(self._take(exact[:limit]), len(exact))
        prefix = set(self._starts.starting_with(needle))
        if len(prefix) >= limit:
            return SearchResult(self._take(heapq.nsmallest(limit, prefix)), len(prefix))
        tokens = needle.split()[:MAX_TOKENS]
        fuzzy, loose = self._fuzzy(tokens, prefix, limit - len(prefix))
        return SearchResult(self._take(sorted(prefix) + fuzzy), len(prefix) + loose)

    def exact(self, text: str) -> tuple[T, ...]:
        """Items whose name, slug or domain is `text` once folded (no looser matches)."""
        needle = fold(text)
        if not needle or len(needle) > MAX_QUERY:
            return ()
        return self._take(self._exact.get(needle))

    def _take(self, ranks: Sequence[int]) -> tuple[T, ...]:
        return tuple(self._items[rank] for rank in ranks)

    def _fuzzy(self, tokens: list[str], found: set[int], want: int) -> tuple[list[int], int]:
        """The best `want` ranks (not in `found`) whose words resemble the typed words (in
        any order), and how many there are in all."""
        similar = [self._similar_words(token) for token in tokens]
        candidates = self._candidates(similar) - found
        totals = dict.fromkeys(candidates, 0.0)
        for words in similar:
            scored: set[int] = set()
            for word, score in sorted(words.items(), key=lambda pair: -pair[1]):
                fresh = candidates.intersection(self._words.get(word))
                fresh -= scored
                for rank in fresh:
                    totals[rank] += score
                scored |= fresh
        floor = MATCH_CUTOFF * len(tokens)
        kept = [(total, rank) for rank, total in totals.items() if total >= floor]
        # Active before archived and churned (lower ranks are active), then closest first.
        inactive_from = self._inactive_from
        best = heapq.nsmallest(
            want, kept, key=lambda pair: (pair[1] >= inactive_from, -pair[0], pair[1])
        )
        return [rank for _, rank in best], len(kept)

    def _candidates(self, similar: list[dict[str, float]]) -> set[int]:
        """Ranks that match enough of the typed words to reach MATCH_CUTOFF at best."""
        sets = [set().union(*(self._words.get(word) for word in words)) for words in similar]
        need = math.ceil(len(sets) * MATCH_CUTOFF / 100)
        # at_least[k] holds the ranks found for more than k of the words so far.
        at_least: list[set[int]] = []
        for ranks in sets:
            reached = [at_least[k] & ranks for k in range(len(at_least))]
            at_least = [
                (at_least[k] if k < len(at_least) else set()) | (reached[k - 1] if k else ranks)
                for k in range(len(at_least) + 1)
            ]
        return at_least[need - 1] if need else set()

    def _similar_words(self, token: str) -> dict[str, float]:
        """Known words `token` may stand for, with how sure that is (0..100)."""
        found: dict[str, float] = {}
        if self._words.get(token):
            found[token] = 100.0
        if len(token) < FUZZY_MIN_TOKEN:
            return found
        lo = bisect_left(self._vocab, token)
        for word in self._vocab[lo : lo + WORDS_PER_TOKEN]:
            if not word.startswith(token):
                break
            found.setdefault(word, PREFIX_WORD_SCORE)
        for word in self._words_containing(token):
            found.setdefault(word, INNER_WORD_SCORE)
        close = process.extract(
            token,
            self._vocab,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=WORD_CUTOFF,
            limit=WORDS_PER_TOKEN,
        )
        for word, score, _ in close:
            if found.get(word, 0.0) < score:
                found[word] = score
        return found

    def _words_containing(self, token: str) -> list[str]:
        words: list[str] = []
        at = self._joined.find(token)
        while at >= 0 and len(words) < WORDS_PER_TOKEN:
            word_at = self._word_at[bisect_right(self._word_at, at) - 1]
            end = self._joined.find("\n", word_at)
            words.append(self._joined[word_at : end if end >= 0 else len(self._joined)])
            at = self._joined.find(token, end) if end >= 0 else -1
        return words


def _word_starts(key: str) -> list[str]:
    """`key` from each of its word starts: "old acme co" -> itself, "acme co", "co"."""
    words = key.split(" ")
    return [key, *(" ".join(words[i:]) for i in range(1, len(words)))]
