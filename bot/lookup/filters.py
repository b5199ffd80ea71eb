"""The filter language of lists and segment follows: typed text -> Filter or FilterError (pure)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.lookup.filter_terms import ALIASES, FIELDS, Term, clean, is_filter_text, terms
from bot.lookup.filter_values import (
    Kind,
    Problem,
    Range,
    age_text,
    cents_value,
    channel_value,
    count_value,
    day_text,
    echo,
    health_value,
    money_text,
    owner_value,
    plan_value,
    sort_value,
    status_value,
    when_value,
)
from bot.lookup.search import fold

__all__ = ["FIELDS", "Filter", "FilterError", "Range", "SortKey", "is_filter_text", "parse_filter"]

SortKey = Literal["mrr", "name", "health", "updated"]
EXAMPLES = {
    "status": "status:at_risk", "plan": "plan:enterprise", "mrr": "mrr>1000",
    "health": "health<50", "owner": "owner:me", "orders": "orders>100",
    "created": "created>2026-01-01", "updated": "updated<7d", "channel": "channel:linked",
    "sort": "sort:name",
}  # fmt: skip
_SET_VALUES: dict[str, Callable[[str], str]] = {
    "status": status_value,
    "plan": plan_value,
    "owner": owner_value,
}
_FIELD_LIST = ", ".join(FIELDS)


@dataclass(frozen=True)
class FilterError:
    """Why typed text is not a filter, in plain words for the person who typed it."""

    kind: Kind
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Filter:
    """Conditions that must all hold; sets mean any-of. Money in cents, ages in hours.

    `created`/`updated` bound the day (as `date.toordinal()`); `*_age` bound how long ago,
    relative to the `now` a filter is evaluated at. `owners` holds "me" or emails.
    """

    statuses: frozenset[str] = frozenset()
    plans: frozenset[str] = frozenset()  # folded plan names; "" is "no plan"
    mrr: Range | None = None
    health: Range | None = None
    owners: frozenset[str] = frozenset()
    orders: Range | None = None
    created: Range | None = None
    created_age: Range | None = None
    updated: Range | None = None
    updated_age: Range | None = None
    channel: bool | None = None  # True: a Slack channel is linked; False: none is
    words: tuple[str, ...] = ()  # folded, sorted, each once: all must appear in the name
    sort: SortKey = "mrr"

    def terms(self) -> tuple[str, ...]:
        """Each condition as one canonical term (the sort is not a condition)."""
        return (
            *_set_term("status", self.statuses),
            *_set_term("plan", frozenset(_quote(p or "none") for p in self.plans)),
            *_range_terms("mrr", self.mrr, money_text),
            *_range_terms("health", self.health, str),
            *_set_term("owner", self.owners),
            *_range_terms("orders", self.orders, str),
            *_range_terms("created", self.created, day_text),
            *_range_terms("created", self.created_age, age_text),
            *_range_terms("updated", self.updated, day_text),
            *_range_terms("updated", self.updated_age, age_text),
            *(() if self.channel is None else (f"channel:{_CHANNEL_TEXT[self.channel]}",)),
            *(_quote(word, always=word == "mine") for word in self.words),
        )

    def canonical(self) -> str:
        """One text per meaning: fields in a fixed order, values normalised and sorted."""
        sort = () if self.sort == "mrr" else (f"sort:{self.sort}",)
        return " ".join((*self.terms(), *sort))

    def __str__(self) -> str:
        return self.canonical()


_CHANNEL_TEXT = {True: "linked", False: "none"}


def parse_filter(text: str) -> Filter | FilterError:
    """`status:at_risk plan:enterprise mrr>1.5k acme` as a Filter, or why it is not one."""
    try:
        builder = _Builder()
        for term in terms(clean(text)):
            builder.add(term)
        return builder.build()
    except Problem as problem:
        return FilterError(problem.kind, problem.message, problem.field)


@dataclass
class _Builder:
    """Conditions gathered term by term; a repeated field narrows what came before."""

    sets: dict[str, frozenset[str]] = field(default_factory=dict)
    ranges: dict[str, Range] = field(default_factory=dict)
    channel: bool | None = None
    words: set[str] = field(default_factory=set)
    sort: str | None = None

    def add(self, term: Term) -> None:
        if not term.field:
            self._word(term)
            return
        if term.field not in FIELDS:
            raise Problem("unknown_field", _unknown(term), term.field)
        if any(not value for value in term.values):
            example = EXAMPLES[term.field]
            raise Problem("value", f"{term.field}{term.op} needs a value, e.g. {example}.",
                          term.field)  # fmt: skip
        if term.field in _SET_VALUES:
            self._only_equals(term)
            self._set(term.field, frozenset(_SET_VALUES[term.field](v) for v in term.values))
        elif term.field == "channel":
            self._only_equals(term)
            self._channel(channel_value(term.values[0]))
        elif term.field == "sort":
            self._only_equals(term)
            self._sort(sort_value(term.values[0]))
        else:
            self._range(term)

    def _word(self, term: Term) -> None:
        word = term.values[0]
        if word.casefold() == "mine" and not term.quoted:
            self._set("owner", frozenset({"me"}))
        elif folded := fold(word):
            self.words.add(folded)

    def _set(self, name: str, values: frozenset[str]) -> None:
        old = self.sets.get(name)
        both = values if old is None else old & values
        if not both:
            raise Problem("contradiction", _clash(_set_term(name, old), _set_term(name, values)),
                          name)  # fmt: skip
        self.sets[name] = both

    def _channel(self, linked: bool) -> None:
        if self.channel is not None and self.channel != linked:
            raise Problem("contradiction", _clash(("channel:linked",), ("channel:none",)),
                          "channel")  # fmt: skip
        self.channel = linked

    def _sort(self, key: str) -> None:
        if self.sort is not None and self.sort != key:
            raise Problem("contradiction", _clash((f"sort:{self.sort}",), (f"sort:{key}",)),
                          "sort")  # fmt: skip
        self.sort = key

    def _range(self, term: Term) -> None:
        name, op, raw = term.field, term.op, term.values[0]
        show: Callable[[int], str]
        if name == "mrr":
            key, value, show = name, cents_value(raw), money_text
        elif name in ("created", "updated"):
            kind, value = when_value(raw, name)
            key, show = (name, day_text) if kind == "date" else (f"{name}_age", age_text)
            if kind == "age" and op in (":", "="):
                op = "<"  # "updated:7d" reads as "updated in the last 7 days"
        else:
            key, show = name, str
            value = health_value(raw) if name == "health" else count_value(raw, name)
        bound = Range.of(op, value)
        old = self.ranges.get(key)
        both = bound if old is None else old.meet(bound)
        if both.is_empty(discrete=not key.endswith("_age")):
            assert old is not None  # one bound alone is never empty
            clash = _clash(_range_terms(name, old, show), _range_terms(name, bound, show))
            raise Problem("contradiction", clash, name)
        self.ranges[key] = both

    def _only_equals(self, term: Term) -> None:
        if term.op not in (":", "="):
            message = f'{term.field} takes ":" as in {EXAMPLES[term.field]}, not "{term.op}".'
            raise Problem("operator", message, term.field)

    def build(self) -> Filter:
        ranges = self.ranges
        return Filter(
            statuses=self.sets.get("status", frozenset()),
            plans=self.sets.get("plan", frozenset()),
            mrr=ranges.get("mrr"),
            health=ranges.get("health"),
            owners=self.sets.get("owner", frozenset()),
            orders=ranges.get("orders"),
            created=ranges.get("created"),
            created_age=ranges.get("created_age"),
            updated=ranges.get("updated"),
            updated_age=ranges.get("updated_age"),
            channel=self.channel,
            words=tuple(sorted(self.words)),
            sort=_SORT_KEYS[self.sort or "mrr"],
        )


_SORT_KEYS: dict[str, SortKey] = {"mrr": "mrr", "name": "name", "health": "health",
                                  "updated": "updated"}  # fmt: skip


def _unknown(term: Term) -> str:
    typed = echo(f"{term.field}{term.op}")
    names = [*FIELDS, *ALIASES]
    close = difflib.get_close_matches(term.field, names, n=1, cutoff=0.6)
    if close:
        name = ALIASES.get(close[0], close[0])
        return f"Unknown filter {typed} — did you mean {name}{term.op}? Filters: {_FIELD_LIST}."
    return f"Unknown filter {typed}. Filters: {_FIELD_LIST}."


def _clash(first: tuple[str, ...], second: tuple[str, ...]) -> str:
    return f"{echo(' '.join(first))} and {echo(' '.join(second))} cannot both hold."


def _set_term(name: str, values: frozenset[str] | None) -> tuple[str, ...]:
    return (f"{name}:{','.join(sorted(values))}",) if values else ()


def _range_terms(name: str, bounds: Range | None, show: Callable[[int], str]) -> tuple[str, ...]:
    if bounds is None:
        return ()
    lo, hi = bounds.lo, bounds.hi
    if lo is not None and lo == hi and not (bounds.lo_open or bounds.hi_open):
        return (f"{name}:{show(lo)}",)
    low = () if lo is None else (f"{name}{'>' if bounds.lo_open else '>='}{show(lo)}",)
    high = () if hi is None else (f"{name}{'<' if bounds.hi_open else '<='}{show(hi)}",)
    return (*low, *high)


def _quote(text: str, *, always: bool = False) -> str:
    return f'"{text}"' if always or " " in text else text
