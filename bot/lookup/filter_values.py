"""Reading one filter value (status, plan, amount, date, age, owner…) and its bounds (pure)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

from bot.lookup.search import fold

ECHO = 40  # at most this many characters of what was typed are repeated in a message
MAX_CENTS = 10**14  # a trillion in currency units: anything above is a typo
MAX_COUNT = 10**12
Kind = Literal[
    "too_long", "control", "markup", "quote", "unknown_field", "operator", "value", "contradiction"
]

_STATUS = re.compile(r"[a-z][a-z0-9_]{0,39}")
_STATUS_ALIASES = {"atrisk": "at_risk", "risk": "at_risk"}
_EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]{1,189}")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?|\.\d+)([km]?)")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?[km]?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AGE = re.compile(r"(\d{1,4}) ?([hdwmy])")
_MULTIPLIER = {"": 1, "k": 1000, "m": 1_000_000}
HOURS = {"h": 1, "d": 24, "w": 24 * 7, "m": 24 * 30, "y": 24 * 365}
CHANNEL_WORDS = {"linked": True, "yes": True, "none": False, "no": False, "unlinked": False}
SORT_KEYS = ("mrr", "name", "health", "updated")


class Problem(Exception):
    """A term that cannot be read; becomes the FilterError the parser returns."""

    def __init__(self, kind: Kind, message: str, field: str | None = None):
        super().__init__(message)
        self.kind: Kind = kind
        self.message = message
        self.field = field


def echo(text: str) -> str:
    """`text` in quotes for a message, cut so that at most ECHO characters are repeated."""
    return f'"{text}"' if len(text) <= ECHO else f'"{text[: ECHO - 1]}…"'


@dataclass(frozen=True)
class Range:
    """Integer bounds, each optional and open (`<`, `>`) or closed (`<=`, `>=`, `:`)."""

    lo: int | None = None
    lo_open: bool = False
    hi: int | None = None
    hi_open: bool = False

    @classmethod
    def of(cls, op: str, value: int) -> Range:
        """The range `op value` stands for (`:` and `=` are both bounds at once)."""
        if op in (">", ">="):
            return cls(lo=value, lo_open=op == ">")
        if op in ("<", "<="):
            return cls(hi=value, hi_open=op == "<")
        return cls(value, False, value, False)

    def meet(self, other: Range) -> Range:
        """Both at once: the higher lower bound and the lower upper bound (open when tied)."""
        lo, lo_open = self.lo, self.lo_open
        if other.lo is not None and (lo is None or (other.lo, other.lo_open) > (lo, lo_open)):
            lo, lo_open = other.lo, other.lo_open
        hi, hi_open = self.hi, self.hi_open
        if other.hi is not None and (hi is None or (-other.hi, other.hi_open) > (-hi, hi_open)):
            hi, hi_open = other.hi, other.hi_open
        return Range(lo, lo_open, hi, hi_open)

    def closed(self) -> tuple[int | None, int | None]:
        """The same bounds, both inclusive (for integer values)."""
        lo = None if self.lo is None else self.lo + self.lo_open
        hi = None if self.hi is None else self.hi - self.hi_open
        return lo, hi

    def is_empty(self, *, discrete: bool = True) -> bool:
        """True when no value can hold; `discrete`: only integers count (cents, days)."""
        if self.lo is None or self.hi is None:
            return False
        if discrete:
            lo, hi = self.closed()
            return lo is not None and hi is not None and lo > hi
        return self.lo > self.hi or (self.lo == self.hi and (self.lo_open or self.hi_open))


def status_key(raw: str) -> str:
    """The form statuses are compared in: `at-risk`, `At Risk` and `at_risk` are one."""
    key = "_".join(re.split(r"[\s_-]+", raw.casefold().strip()))
    return _STATUS_ALIASES.get(key, key)


def plan_key(raw: str | None) -> str:
    """Plans as search folds names ("Scale (annual)" -> "scale annual"); "" is no plan."""
    key = fold(raw or "")
    return "" if key == "none" else key


def status_value(raw: str) -> str:
    """A status to filter on: any well-formed one is kept (Pivotal adds statuses)."""
    key = status_key(raw)
    if not _STATUS.fullmatch(key):
        raise Problem("value", f"{echo(raw)} is not a status: try status:at_risk.", "status")
    return key


def plan_value(raw: str) -> str:
    """A plan to filter on, as `plan_key` compares it; `none` is no plan."""
    key = plan_key(raw)
    if not key and fold(raw) == "none":
        return key
    if not key or len(key) > ECHO:
        raise Problem("value", f"{echo(raw)} is not a plan: try plan:enterprise.", "plan")
    return key


def owner_value(raw: str) -> str:
    """`me` or an email address, compared without case."""
    key = raw.strip().casefold()
    if key == "me" or _EMAIL.fullmatch(key):
        return key
    message = f"{echo(raw)} is not an owner: try owner:me or owner:name@example.com."
    raise Problem("value", message, "owner")


def cents_value(raw: str) -> int:
    """`1000`, `$1,500`, `1.5k`, `2m` (currency units) in cents."""
    value = _decimal(raw.removeprefix("$")) * 100
    if value != value.to_integral_value():
        message = f"{echo(raw)} has more than two decimals: MRR is counted in cents."
        raise Problem("value", message, "mrr")
    if value > MAX_CENTS:
        raise Problem("value", f"{echo(raw)} is more MRR than any customer has.", "mrr")
    return int(value)


def count_value(raw: str, field: str) -> int:
    """A whole number of orders: `75`, `1,200`, `1.5k`."""
    value = _decimal(raw, field)
    if value != value.to_integral_value() or value > MAX_COUNT:
        raise Problem("value", f"{echo(raw)} is not a whole number: try {field}>100.", field)
    return int(value)


def health_value(raw: str) -> int:
    """A health score, 0 to 100 (`50` or `50%`)."""
    text = raw.strip().removesuffix("%")
    if not text.isascii() or not text.isdigit() or int(text) > 100:
        message = f"{echo(raw)} is not a health score: scores run from 0 to 100."
        raise Problem("value", message, "health")
    return int(text)


def when_value(raw: str, field: str) -> tuple[Literal["date", "age"], int]:
    """A day (`2026-01-01`, as its ordinal) or an age (`24h`, `7d`, `2w`, `3m`, `1y`, in hours)."""
    text = raw.strip().casefold()
    if _DATE.fullmatch(text):
        try:
            return "date", date.fromisoformat(text).toordinal()
        except ValueError:
            pass
    age = _AGE.fullmatch(text)
    if age and int(age.group(1)) > 0:
        return "age", int(age.group(1)) * HOURS[age.group(2)]
    message = f"{echo(raw)} is not a date or an age: try {field}>2026-01-01 or {field}<7d."
    raise Problem("value", message, field)


def channel_value(raw: str) -> bool:
    """`linked` (a Slack channel is linked) or `none`."""
    key = raw.strip().casefold()
    linked = CHANNEL_WORDS.get(key)
    if linked is None:
        hint = _did_you_mean("channel", key, CHANNEL_WORDS)
        message = f"{echo(raw)} is not a channel state{hint}: try channel:linked or channel:none."
        raise Problem("value", message, "channel")
    return linked


def sort_value(raw: str) -> str:
    """What a list is sorted by: mrr (the default), name, health or updated."""
    key = raw.strip().casefold()
    if key not in SORT_KEYS:
        message = f"{echo(raw)} is not a sort{_did_you_mean('sort', key, SORT_KEYS)}: try "
        raise Problem(
            "value", message + "sort:mrr, sort:name, sort:health or sort:updated.", "sort"
        )
    return key


def _did_you_mean(field: str, typed: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(typed, list(known), n=1, cutoff=0.6)
    return f" (did you mean {field}:{close[0]}?)" if close else ""


def _decimal(raw: str, field: str = "mrr") -> Decimal:
    text = raw.strip().casefold()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    number = _NUMBER.fullmatch(text) if len(text) <= 24 else None
    if number is None:
        example = "mrr>1000, mrr>=1.5k or mrr<2m" if field == "mrr" else f"{field}>100"
        raise Problem("value", f"{echo(raw)} is not a number: try {example}.", field)
    try:
        return Decimal(number.group(1)) * _MULTIPLIER[number.group(2)]
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise Problem("value", f"{echo(raw)} is not a number.", field) from exc


def money_text(cents: int) -> str:
    """Cents as the currency units a filter is typed in: 150000 -> "1500", 150050 -> "1500.5"."""
    units, rest = divmod(cents, 100)
    return f"{units}" if not rest else f"{units}.{rest:02d}".rstrip("0")


def age_text(hours: int) -> str:
    """An age in the shortest exact form of days or hours: 168 -> "7d", 36 -> "36h"."""
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def day_text(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()
