"""Which segment follows one change concerns, without asking every segment.

Segments are grouped by their filter's text (many follows share one) and each distinct
filter gets one bit. Filters are filed under the statuses and plans they need (or "any");
within one such shelf, every numeric bound (MRR, health, orders, created and updated
days) is a table from value intervals to the set of filters that hold there, as a Python
int. A customer is then a few bisects and `&`s per shelf; only filters with terms no table
holds (owner, words, channel, ages) are asked one by one, and only when the tables let
them through. tests/unit/test_segment_index.py checks it against asking every filter.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.follows.model import Follow
from bot.lookup.bitsets import members
from bot.lookup.changed import CustomerChanged
from bot.lookup.filter_values import plan_key, status_key
from bot.lookup.filters import Filter
from bot.lookup.matcher import Matcher
from bot.lookup.portfolio_columns import day_seconds, seconds
from bot.pivotal.models import Customer, Signals

ANY = "\x00any"
Concerned = list[tuple[Follow, bool | None]]  # (follow, True entered / False left / None stayed)
Bounds = tuple[int | None, int | None]  # both inclusive; None: no bound
Value = Callable[[Customer, Signals | None], int | None]


def _mrr(c: Customer, s: Signals | None) -> int | None:
    return c.mrr


def _health(c: Customer, s: Signals | None) -> int | None:
    return None if s is None else s.health_score


def _orders(c: Customer, s: Signals | None) -> int | None:
    return c.monthly_orders


def _created(c: Customer, s: Signals | None) -> int | None:
    return seconds(c.created_at)


def _updated(c: Customer, s: Signals | None) -> int | None:
    return seconds(c.updated_at)


def _bounds(f: Filter) -> dict[Value, Bounds]:
    """The filter's numeric bounds, by the value each one bounds."""
    found: dict[Value, Bounds] = {}
    for value, bounds in ((_mrr, f.mrr), (_health, f.health), (_orders, f.orders)):
        if bounds is not None:
            found[value] = bounds.closed()
    if f.created is not None:
        found[_created] = day_seconds(f.created)
    if f.updated is not None:
        found[_updated] = day_seconds(f.updated)
    return found


def _needs_asking(f: Filter) -> bool:
    """Terms the tables do not hold: the filter's own matcher has the last word."""
    return bool(f.owners or f.words or f.channel is not None or f.created_age or f.updated_age)


class _Table:
    """For one value: which filters hold at each interval between the bounds there are."""

    def __init__(self, value: Value, bounded: dict[int, Bounds], everyone: int):
        self.value = value
        unbounded = everyone & ~sum(1 << bit for bit in bounded)
        self.unknown = unbounded  # a missing value satisfies no bound
        points = sorted(
            {lo for lo, _ in bounded.values() if lo is not None}
            | {hi + 1 for _, hi in bounded.values() if hi is not None}
        )
        self.points = points
        starts = [0] * (len(points) + 2)
        ends = [0] * (len(points) + 2)
        for bit, (lo, hi) in bounded.items():  # v holds from interval `first` to before `last`
            first = 0 if lo is None else bisect_right(points, lo)
            last = len(points) + 1 if hi is None else bisect_right(points, hi + 1)
            if first >= last:
                continue  # an empty range: never holds
            starts[first] |= 1 << bit
            ends[last] |= 1 << bit
        self.holding: list[int] = []
        current = 0
        for at in range(len(points) + 1):
            current = (current | starts[at]) & ~ends[at]
            self.holding.append(current | unbounded)

    def at(self, customer: Customer, signals: Signals | None) -> int:
        v = self.value(customer, signals)
        return self.unknown if v is None else self.holding[bisect_right(self.points, v)]


@dataclass
class _Shelf:
    """The filters filed under one (status, plan): all of them, tables, and who to ask."""

    everyone: int
    tables: list[_Table]
    asked: int  # filters whose matcher must still be asked


class SegmentIndex:
    """Segment follows filed by status and plan, each distinct filter compiled once."""

    def __init__(self, follows: Iterable[Follow], matchers: dict[str, Matcher | None]):
        self._follows: dict[str, list[Follow]] = {}
        for follow in follows:
            if follow.target.segment is not None and follow.active:
                self._follows.setdefault(follow.target.segment, []).append(follow)
        self._texts: list[str] = []
        self._matchers: list[Matcher] = []
        filed: dict[tuple[str, str], list[int]] = {}
        for text in self._follows:
            matcher = matchers.get(text)
            if matcher is None:
                continue
            bit = len(self._texts)
            self._texts.append(text)
            self._matchers.append(matcher)
            f = matcher.filter
            for status in f.statuses or (ANY,):
                for plan in f.plans or (ANY,):
                    filed.setdefault((status, plan), []).append(bit)
        self._shelves = {key: self._shelf(bits) for key, bits in filed.items()}
        # Each filter's follows as they are answered, stayed / entered / left, made once.
        self._answers = tuple(
            [[(follow, moved) for follow in self._follows[text]] for text in self._texts]
            for moved in (None, True, False)
        )

    def _shelf(self, bits: list[int]) -> _Shelf:
        everyone = sum(1 << bit for bit in bits)
        by_value: dict[Value, dict[int, Bounds]] = {}
        asked = 0
        for bit in bits:
            f = self._matchers[bit].filter
            for value, bounds in _bounds(f).items():
                by_value.setdefault(value, {})[bit] = bounds
            if _needs_asking(f):
                asked |= 1 << bit
        tables = [_Table(value, bounded, everyone) for value, bounded in by_value.items()]
        return _Shelf(everyone, tables, asked)

    def __len__(self) -> int:
        return sum(len(follows) for follows in self._follows.values())

    def concerned(self, change: CustomerChanged, at: datetime) -> Concerned:
        """Follows whose segment the customer was in before or is in now, and how."""
        was = self._holding(change.before, change.signals_before, at)
        now = self._holding(change.after, change.signals_after, at)
        found: Concerned = []
        for answers, bits in zip(self._answers, (was & now, now & ~was, was & ~now), strict=True):
            for bit in members(bits):
                found += answers[bit]
        return found

    def _holding(self, customer: Customer | None, signals: Signals | None, at: datetime) -> int:
        """The filters (bits) `customer` is in."""
        if customer is None:
            return 0
        status, plan = status_key(customer.status), plan_key(customer.plan)
        holding = 0
        for key in ((status, plan), (status, ANY), (ANY, plan), (ANY, ANY)):
            shelf = self._shelves.get(key)
            if shelf is None:
                continue
            mask = shelf.everyone
            for table in shelf.tables:
                mask &= table.at(customer, signals)
                if not mask:
                    break
            for bit in members(mask & shelf.asked):
                if not self._matchers[bit](customer, signals, at):
                    mask &= ~(1 << bit)
            holding |= mask
        return holding
