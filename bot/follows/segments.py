"""Which segment follows one change concerns, without asking every segment.

Segments are grouped by their filter's text (many follows share one), and filed under the
statuses and plans they need (or "any"): a change asks only the filters filed under the
customer's status and plan before and after it, and each of those once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.follows.model import Follow
from bot.lookup.changed import CustomerChanged
from bot.lookup.filter_values import plan_key, status_key
from bot.lookup.matcher import Matcher
from bot.pivotal.models import Customer

ANY = "\x00any"
Concerned = list[tuple[Follow, bool | None]]  # (follow, True entered / False left / None stayed)


class SegmentIndex:
    """Segment follows filed by status and plan, each distinct filter compiled once."""

    def __init__(self, follows: Iterable[Follow], matchers: dict[str, Matcher | None]):
        self._follows: dict[str, list[Follow]] = {}
        for follow in follows:
            if follow.target.segment is not None and follow.active:
                self._follows.setdefault(follow.target.segment, []).append(follow)
        self._filed: dict[tuple[str, str], list[tuple[str, Matcher]]] = {}
        for text in self._follows:
            matcher = matchers.get(text)
            if matcher is None:
                continue
            f = matcher.filter
            for status in f.statuses or (ANY,):
                for plan in f.plans or (ANY,):
                    self._filed.setdefault((status, plan), []).append((text, matcher))

    def __len__(self) -> int:
        return sum(len(follows) for follows in self._follows.values())

    def concerned(self, change: CustomerChanged, at: datetime) -> Concerned:
        """Follows whose segment the customer was in before or is in now, and how."""
        candidates: dict[str, Matcher] = {}
        for customer in (change.before, change.after):
            if customer is not None:
                for text, matcher in self._candidates(customer):
                    candidates[text] = matcher
        found: Concerned = []
        for text, matcher in candidates.items():
            was = change.before is not None and matcher(change.before, change.signals_before, at)
            now = change.after is not None and matcher(change.after, change.signals_after, at)
            if was or now:
                moved = None if was == now else now
                found += [(follow, moved) for follow in self._follows[text]]
        return found

    def _candidates(self, customer: Customer) -> Iterable[tuple[str, Matcher]]:
        status, plan = status_key(customer.status), plan_key(customer.plan)
        for key in ((status, plan), (status, ANY), (ANY, plan), (ANY, ANY)):
            yield from self._filed.get(key, ())
