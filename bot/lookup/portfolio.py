"""Which customers a Filter selects: true count, total MRR, sorted pages, nearest match (pure)."""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

from bot.lookup.bitsets import mask_of, members
from bot.lookup.directory import Snapshot
from bot.lookup.filters import Filter, SortKey, parse_filter
from bot.lookup.portfolio_columns import Columns, age_seconds, day_seconds
from bot.pivotal.models import Customer, Signals

PAGE_SIZE = 10
SPARSE = 2048  # matches sorted outright up to this many; more: the sort order is walked


@dataclass(frozen=True, slots=True)
class Row:
    """One customer in a list, with what webhooks told of it (health, owner) if anything."""

    snapshot: Snapshot
    signals: Signals | None

    @property
    def customer(self) -> Customer:
        return self.snapshot.customer

    @property
    def health(self) -> int | None:
        return None if self.signals is None else self.signals.health_score


@dataclass(frozen=True)
class Page:
    """Rows `first`..`first + len(rows) - 1` of `count`; `number` counts from 1."""

    rows: tuple[Row, ...]
    number: int
    pages: int
    count: int
    first: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


@dataclass(frozen=True)
class Portfolio:
    """The customers a filter selected. `owner_unknown`: it names an owner the bot cannot
    know yet (the asker's email is unknown, or no webhook has told any owner)."""

    filter: Filter
    count: int
    total_mrr: int  # cents, over every match whose MRR is known
    owner_unknown: bool
    index: PortfolioIndex = field(repr=False, compare=False)
    mask: int = field(repr=False, compare=False)
    me: str | None = field(default=None, repr=False, compare=False)
    now: datetime | None = field(default=None, repr=False, compare=False)

    def page(self, n: int = 1, size: int = PAGE_SIZE) -> Page:
        """Page `n` (from 1; clamped to the pages there are) in the filter's sort order."""
        size = max(1, size)
        pages = max(1, math.ceil(self.count / size))
        number = min(max(1, n), pages)
        skip = (number - 1) * size
        rows = self.index.rows(self.mask, self.filter.sort, skip=skip, take=size)
        return Page(rows, number, pages, self.count, skip + 1 if rows else 0)

    def rows(self) -> tuple[Row, ...]:
        """Every match, in the filter's sort order."""
        return self.index.rows(self.mask, self.filter.sort, skip=0, take=self.count)

    def nearest(self) -> Portfolio | None:
        """The closest filter that selects someone, over the same customers (see
        PortfolioIndex.nearest), or None."""
        now = self.now if self.now is not None else datetime.now(UTC)
        return self.index.nearest(self.filter, me=self.me, now=now)


def evaluate(
    filter: Filter,
    customers: Iterable[Snapshot],
    *,
    signals: Callable[[int], Signals | None],
    me: str | None,
    now: datetime,
) -> Portfolio:
    """The customers `filter` selects; `me` is the asker's email, `now` the time ages count to.

    Builds a PortfolioIndex first: to evaluate many filters over one list, keep the index.
    """
    return PortfolioIndex(customers, signals=signals).evaluate(filter, me=me, now=now)


def nearest(
    filter: Filter,
    customers: Iterable[Snapshot],
    *,
    signals: Callable[[int], Signals | None],
    me: str | None,
    now: datetime,
) -> Portfolio | None:
    """The closest filter that selects someone (see PortfolioIndex.nearest), or None."""
    return PortfolioIndex(customers, signals=signals).nearest(filter, me=me, now=now)


class PortfolioIndex:
    """A customer list and its signals, as of building, ready for any number of filters.

    Keep one per list (until its customers or signals change): evaluating a filter then
    takes a few bitset operations instead of a pass over every customer.
    """

    def __init__(self, customers: Iterable[Snapshot], *, signals: Callable[[int], Signals | None]):
        self._c = Columns(customers, signals)

    def __len__(self) -> int:
        return self._c.size

    def warm(self) -> None:
        """Build the columns only some filters need (words, sorts, dates) now, not on first use:
        call it where a slow step does no harm, e.g. in the thread that built the index."""
        self._c.warm()

    def evaluate(self, filter: Filter, *, me: str | None, now: datetime) -> Portfolio:
        """The customers `filter` selects; `me` is the asker's email (None: not known)."""
        mask = self._c.everyone
        for condition in self._conditions(filter, me, now):
            mask &= condition
            if not mask:
                break
        total = self._c.mrr_total.total(mask)
        unknown = bool(filter.owners) and not (self._c.owners and _owner_keys(filter.owners, me))
        return Portfolio(filter, mask.bit_count(), total, unknown, self, mask, me, now)

    def either(
        self, filter: Filter, display_ids: Iterable[int], *, me: str | None, now: datetime
    ) -> Portfolio:
        """Customers `filter` selects, and also those among `display_ids`, in `filter`'s sort."""
        rows = self._c.rows_of
        mask = self.evaluate(filter, me=me, now=now).mask
        mask |= mask_of((rows[d] for d in display_ids if d in rows), self._c.size)
        total = self._c.mrr_total.total(mask)
        return Portfolio(filter, mask.bit_count(), total, False, self, mask, me, now)

    def nearest(self, filter: Filter, *, me: str | None, now: datetime) -> Portfolio | None:
        """For an empty result: the filter one step away that selects the fewest (but some).

        A step drops one condition, or swaps a status or plan no customer has for the
        closest one some customer has (`status:actve` -> `status:active`). Dropping the
        only condition (everyone) is no suggestion.
        """
        best: Portfolio | None = None
        for relaxed in self._relaxations(filter):
            found = self.evaluate(relaxed, me=me, now=now)
            if found.count and (best is None or found.count < best.count):
                best = found
        return best

    def rows(self, mask: int, sort: SortKey, *, skip: int, take: int) -> tuple[Row, ...]:
        """`take` rows of `mask` after the first `skip`, in `sort` order."""
        if sort == "mrr":
            chosen: Iterable[int] = islice(members(mask, skip), take)
        else:
            chosen = self._sorted(mask, sort, skip, take)
        return tuple(Row(self._c.snaps[row], self._c.signals[row]) for row in chosen)

    def _conditions(self, f: Filter, me: str | None, now: datetime) -> Iterator[int]:
        """One set of rows per condition, cheapest first (evaluation stops at an empty set)."""
        c = self._c
        if f.statuses:
            yield _union(c.statuses, f.statuses)
        if f.plans:
            yield _union(c.plans, f.plans)
        if f.channel is not None:
            yield c.linked if f.channel else c.everyone ^ c.linked
        if f.mrr is not None:
            yield c.mrr.within(*f.mrr.closed())
        if f.health is not None:
            yield c.health.within(*f.health.closed())
        if f.orders is not None:
            yield c.orders.within(*f.orders.closed())
        for days, ages, name in ((f.created, f.created_age, "created"),
                                 (f.updated, f.updated_age, "updated")):  # fmt: skip
            if days is not None:
                yield (c.created if name == "created" else c.updated).within(*day_seconds(days))
            if ages is not None:
                yield (c.created if name == "created" else c.updated).within(
                    *age_seconds(ages, now)
                )
        if f.owners:
            yield _union(c.owners, _owner_keys(f.owners, me))
        for word in f.words:
            yield c.containing(word)

    def _relaxations(self, f: Filter) -> Iterator[Filter]:
        terms = f.terms()
        for drop in range(len(terms) if len(terms) > 1 else 0):
            relaxed = parse_filter(" ".join(terms[:drop] + terms[drop + 1 :]))
            assert isinstance(relaxed, Filter)  # canonical terms always parse
            yield dataclasses.replace(relaxed, sort=f.sort)
        for value, close in _closest(f.statuses, self._c.statuses):
            yield dataclasses.replace(f, statuses=f.statuses - {value} | {close})
        for value, close in _closest(f.plans, self._c.plans):
            yield dataclasses.replace(f, plans=f.plans - {value} | {close})

    def _sorted(self, mask: int, sort: SortKey, skip: int, take: int) -> list[int]:
        """Few matches: sorted outright; many: the sort order walked until the page is full."""
        c = self._c
        order, rank = (
            c.by_name if sort == "name" else c.by_health if sort == "health" else c.by_updated
        )
        if mask.bit_count() <= SPARSE:
            return sorted(members(mask), key=rank.__getitem__)[skip : skip + take]
        data = mask.to_bytes((c.size + 7) >> 3, "little")
        chosen: list[int] = []
        for row in order:
            if data[row >> 3] >> (row & 7) & 1:
                if skip:
                    skip -= 1
                    continue
                chosen.append(row)
                if len(chosen) == take:
                    break
        return chosen


def _closest(chosen: frozenset[str], known: dict[str, int]) -> Iterator[tuple[str, str]]:
    """Each chosen value no row has, with the closest value some row has."""
    for value in sorted(chosen - known.keys()):
        close = difflib.get_close_matches(value, [key for key in known if key], 1, 0.6)
        if close:
            yield value, close[0]


def _union(masks: dict[str, int], keys: Iterable[str]) -> int:
    found = 0
    for key in keys:
        found |= masks.get(key, 0)
    return found


def _owner_keys(owners: frozenset[str], me: str | None) -> set[str]:
    """The emails `owners` stand for: "me" is the asker's, when known."""
    keys = {owner for owner in owners if owner != "me"}
    if "me" in owners and me:
        keys.add(me.strip().casefold())
    return keys
