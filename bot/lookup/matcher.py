"""Whether one customer is in a filter's set: the same answers as PortfolioIndex, one row.

Segment follows ask this of every change (was the customer in the segment before, is it
now?), so a filter is compiled once into a predicate (`Matcher`) and asked many times.
tests/unit/test_matcher.py checks it against PortfolioIndex over generated customers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.lookup.filter_values import Range, plan_key, status_key
from bot.lookup.filters import Filter
from bot.lookup.portfolio_columns import INSIDE, age_seconds, day_seconds, searched, seconds
from bot.pivotal.models import Customer, Signals

Check = Callable[[Customer, Signals | None, datetime], bool]


class Matcher:
    """`filter` as a predicate; `me` is the email "owner:me" stands for (None: no one)."""

    def __init__(self, filter: Filter, *, me: str | None = None):
        self.filter = filter
        self._checks: tuple[Check, ...] = tuple(_checks(filter, me))

    def __call__(self, customer: Customer, signals: Signals | None, now: datetime) -> bool:
        return all(check(customer, signals, now) for check in self._checks)

    @property
    def statuses(self) -> frozenset[str]:
        """The statuses it needs (empty: any), to skip it quickly for others."""
        return self.filter.statuses


def _checks(f: Filter, me: str | None) -> list[Check]:
    checks: list[Check] = []
    if f.statuses:
        statuses = f.statuses
        checks.append(lambda c, s, now: status_key(c.status) in statuses)
    if f.plans:
        plans = f.plans
        checks.append(lambda c, s, now: plan_key(c.plan) in plans)
    if f.channel is not None:
        linked = f.channel
        checks.append(lambda c, s, now: bool(c.slack_channel_id) is linked)
    if f.mrr is not None:
        checks.append(_within(f.mrr, lambda c, s: c.mrr))
    if f.health is not None:
        checks.append(_within(f.health, lambda c, s: None if s is None else s.health_score))
    if f.orders is not None:
        checks.append(_within(f.orders, lambda c, s: c.monthly_orders))
    if f.created is not None:
        checks.append(_between(day_seconds(f.created), lambda c: seconds(c.created_at)))
    if f.updated is not None:
        checks.append(_between(day_seconds(f.updated), lambda c: seconds(c.updated_at)))
    if f.created_age is not None:
        checks.append(_aged(f.created_age, lambda c: seconds(c.created_at)))
    if f.updated_age is not None:
        checks.append(_aged(f.updated_age, lambda c: seconds(c.updated_at)))
    if f.owners:
        keys = {owner for owner in f.owners if owner != "me"}
        if "me" in f.owners and me:
            keys.add(me.strip().casefold())
        checks.append(
            lambda c, s, now: s is not None and (s.owner_email or "").casefold() in keys - {""}
        )
    for word in f.words:
        checks.append(_containing(word))
    return checks


def _within(bounds: Range, value: Callable[[Customer, Signals | None], int | None]) -> Check:
    lo, hi = bounds.closed()

    def check(c: Customer, s: Signals | None, now: datetime) -> bool:
        v = value(c, s)
        return v is not None and (lo is None or v >= lo) and (hi is None or v <= hi)

    return check


def _between(span: tuple[int | None, int | None], value: Callable[[Customer], int]) -> Check:
    lo, hi = span

    def check(c: Customer, s: Signals | None, now: datetime) -> bool:
        v = value(c)
        return (lo is None or v >= lo) and (hi is None or v <= hi)

    return check


def _aged(ages: Range, value: Callable[[Customer], int]) -> Check:
    def check(c: Customer, s: Signals | None, now: datetime) -> bool:
        lo, hi = age_seconds(ages, now)
        v = value(c)
        return (lo is None or v >= lo) and (hi is None or v <= hi)

    return check


def _containing(text: str) -> Check:
    """As the index's free text: a short word starts a word; a longer one is inside one;
    a phrase has each of its words inside some word, and appears whole."""
    parts = text.split()

    def check(c: Customer, s: Signals | None, now: datetime) -> bool:
        searched_text = searched(c)
        words = searched_text.split()
        if len(parts) == 1:
            if len(text) < INSIDE:
                return any(word.startswith(text) for word in words)
            return any(text in word for word in words)
        return all(any(p in word for word in words) for p in parts) and text in searched_text

    return check
