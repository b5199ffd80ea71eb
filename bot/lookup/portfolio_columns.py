"""A customer list as bitset columns for filters: rows in MRR order, rarer columns built on use."""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from functools import cached_property
from itertools import chain
from typing import TypeAlias

from bot.lookup.bitsets import Column, Sums, mask_of, masks_by, members
from bot.lookup.directory import Snapshot
from bot.lookup.filter_values import Range, plan_key, status_key
from bot.lookup.search import fold
from bot.pivotal.models import Customer, Signals, instant

INSIDE = 3  # a shorter word must start a word of the name ("co"), as in name search
_LAST = "\U0010ffff"
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_DAY = 86_400
Ordering: TypeAlias = "tuple[array[int], array[int]]"  # rows in sort order; each row's place


class Columns:
    """Customers and their signals as of building. Row i has the i-th highest MRR (unknown
    last; ties by name), so the bits of a set are already in the default sort order."""

    def __init__(self, customers: Iterable[Snapshot], signals: Callable[[int], Signals | None]):
        self.snaps = sorted(customers, key=_by_mrr)
        self.signals = [signals(snap.customer.display_id) for snap in self.snaps]
        self.size = size = len(self.snaps)
        self.everyone = (1 << size) - 1
        self.statuses = masks_by((status_key(s.customer.status) for s in self.snaps), size)
        self.plans = masks_by((plan_key(s.customer.plan) for s in self.snaps), size)
        linked = (row for row, s in enumerate(self.snaps) if s.customer.slack_channel_id)
        self.linked = mask_of(linked, size)
        mrr = [snap.customer.mrr for snap in self.snaps]
        self.mrr, self.mrr_total = Column(mrr), Sums(mrr)

    def warm(self) -> None:
        """Build now every column otherwise built on first use (~1 s per 100,000 rows)."""
        for name in ("health", "owners", "orders", "created", "updated", "by_name", "by_health",
                     "by_updated", "_words"):  # fmt: skip
            getattr(self, name)

    @cached_property
    def rows_of(self) -> dict[int, int]:
        """display_id -> its row."""
        return {snap.customer.display_id: row for row, snap in enumerate(self.snaps)}

    @cached_property
    def health(self) -> Column:
        return Column([None if s is None else s.health_score for s in self.signals])

    @cached_property
    def owners(self) -> dict[str, int]:
        """Casefolded owner email -> its customers (only owners webhooks have told)."""
        emails = ((s.owner_email or "").casefold() if s else "" for s in self.signals)
        owners = masks_by(emails, self.size)
        owners.pop("", None)
        return owners

    @cached_property
    def orders(self) -> Column:
        return Column([snap.customer.monthly_orders for snap in self.snaps])

    @cached_property
    def created(self) -> Column:
        return Column([seconds(snap.customer.created_at) for snap in self.snaps])

    @cached_property
    def updated(self) -> Column:
        return Column([seconds(snap.customer.updated_at) for snap in self.snaps])

    def moments(self, name: str) -> Column:
        """The `created` or `updated` column (epoch seconds)."""
        return self.created if name == "created" else self.updated

    def ordering(self, sort: str) -> Ordering:
        """Rows sorted by `name`, `health` or `updated` (ties in MRR order)."""
        return (
            self.by_name
            if sort == "name"
            else self.by_health
            if sort == "health"
            else self.by_updated
        )

    @cached_property
    def by_name(self) -> Ordering:
        names = [fold(snap.customer.name) for snap in self.snaps]
        return _ordering(sorted(range(self.size), key=names.__getitem__))

    @cached_property
    def by_health(self) -> Ordering:
        """Lowest health first, unknown health last."""
        health = [101 if s is None or s.health_score is None else s.health_score
                  for s in self.signals]  # fmt: skip
        return _ordering(sorted(range(self.size), key=health.__getitem__))

    @cached_property
    def by_updated(self) -> Ordering:
        """Most recently updated first."""
        updated = [-seconds(snap.customer.updated_at) for snap in self.snaps]
        return _ordering(sorted(range(self.size), key=updated.__getitem__))

    def containing(self, text: str) -> int:
        """Rows whose folded name, slug or domain contains `text` (itself folded)."""
        if " " not in text:
            return mask_of(self._words.rows(text, starts=len(text) < INSIDE), self.size)
        # A phrase: rows with every word of it somewhere, then the phrase itself checked.
        candidates = self.everyone
        for word in text.split():
            candidates &= mask_of(self._words.rows(word), self.size)
        texts = self._words.texts
        found = (row for row in members(candidates) if text in texts[row])
        return mask_of(found, self.size)

    @cached_property
    def _words(self) -> _Words:
        return _Words([searched(snap.customer) for snap in self.snaps])


class _Words:
    """Each distinct folded word and its rows: a substring is looked for among the words
    (thousands) rather than in every row's text (megabytes)."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        rows: dict[str, list[int]] = {}
        for row, text in enumerate(texts):
            for word in set(text.split()):
                rows.setdefault(word, []).append(row)
        self._words = sorted(rows)
        self._rows = [rows[word] for word in self._words]
        self._vocabulary = "\n".join(self._words)
        self._starts = array("q", [0])
        for word in self._words:
            self._starts.append(self._starts[-1] + len(word) + 1)

    def rows(self, part: str, *, starts: bool = False) -> Iterator[int]:
        """Rows with a word that contains `part` (no spaces), or that `starts` with it;
        a row may come more than once."""
        if starts:
            lo = bisect_left(self._words, part)
            return chain.from_iterable(self._rows[lo : bisect_left(self._words, part + _LAST, lo)])
        found: list[list[int]] = []
        at = self._vocabulary.find(part)
        while at >= 0:
            index = bisect_right(self._starts, at) - 1
            found.append(self._rows[index])
            at = self._vocabulary.find(part, self._starts[index + 1])
        return chain.from_iterable(found)


def day_seconds(days: Range) -> tuple[int | None, int | None]:
    """Whole UTC days (ordinals, inclusive) as the epoch seconds they span."""
    lo, hi = days.closed()
    start = None if lo is None else (lo - _EPOCH_DAY) * _DAY
    end = None if hi is None else (hi + 1 - _EPOCH_DAY) * _DAY - 1
    return start, end


def age_seconds(ages: Range, now: datetime) -> tuple[int | None, int | None]:
    """An age in hours ("within", "older than") as the epoch seconds it allows at `now`."""
    at = instant(now).timestamp()
    start = end = None
    if ages.hi is not None:  # younger than: after now - hi
        edge = at - ages.hi * 3600
        start = math.floor(edge) + 1 if ages.hi_open else math.ceil(edge)
    if ages.lo is not None:  # older than: before now - lo
        edge = at - ages.lo * 3600
        end = math.ceil(edge) - 1 if ages.lo_open else math.floor(edge)
    return start, end


def _by_mrr(snap: Snapshot) -> tuple[bool, int, str, int]:
    c = snap.customer
    return c.mrr is None, -(c.mrr or 0), c.name.casefold(), c.display_id


def _ordering(order: list[int]) -> Ordering:
    rank = array("i", bytes(4 * len(order)))
    for place, row in enumerate(order):
        rank[row] = place
    return array("i", order), rank


def searched(c: Customer) -> str:
    """What free text is found in; a tab keeps a phrase from running from name into slug."""
    return f"{fold(c.name)}\t{fold(c.slug or '')}\t{fold(c.domain or '')}"


def seconds(moment: datetime) -> int:
    return math.floor(instant(moment).timestamp())
