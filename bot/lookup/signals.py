"""What webhooks told the bot beyond the REST customer (health, owner), and when.

The REST API has no health score or owner, so these survive refetches and walks: they
change only when a newer webhook says so. Kept per display_id (webhook objects carry a
`cus_…` id that is not the REST cuid), bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cachetools import LRUCache

from bot.pivotal.models import Signals, instant


@dataclass(frozen=True)
class KeptSignals:
    """What the durable tier holds for one customer."""

    display_id: int
    signals: Signals | None
    last_event_at: datetime


class SignalStore(Protocol):
    """Where the signal book is kept across restarts (bot.store.signals.SqlSignals)."""

    async def load(self, *, limit: int) -> list[KeptSignals]:
        """The most recently told customers, newest first, at most `limit` of them."""
        ...

    async def save(self, kept: KeptSignals) -> None:
        """Insert or replace what is kept for `kept.display_id`."""
        ...

    async def health_history(
        self, display_id: int, *, since: datetime
    ) -> list[tuple[datetime, int]]:
        """Every health score heard for the customer since `since`, oldest first."""
        ...

    async def health_peaks(self, *, since: datetime) -> dict[int, int]:
        """Per customer, the highest score it has had since `since` (the score it had then
        included): what "down N points in the last week" is measured from."""
        ...


class SignalBook:
    """The latest Signals per customer and the time of the last event applied to it."""

    def __init__(self, *, max_entries: int = 50_000):
        self._signals: LRUCache[int, Signals] = LRUCache(maxsize=max_entries)
        self._last_event: LRUCache[int, datetime] = LRUCache(maxsize=max_entries)
        self.version = 0  # goes up whenever a customer's signals change

    def get(self, display_id: int) -> Signals | None:
        return self._signals.get(display_id)

    def is_older(self, display_id: int, event_at: datetime) -> bool:
        """True when an event already applied to this customer was created after `event_at`."""
        last = self._last_event.get(display_id)
        return last is not None and instant(event_at) < instant(last)

    def record(self, display_id: int, event_at: datetime, signals: Signals | None) -> bool:
        """Note the event; merge its signals. True when what the card shows changed."""
        self._last_event[display_id] = event_at
        if signals is None:
            return False
        old = self._signals.get(display_id)
        merged = _merge(old, signals)
        self._signals[display_id] = merged
        if merged != old:
            self.version += 1
        return merged != old

    def load(self, kept: list[KeptSignals]) -> None:
        """What the durable tier kept (newest first), under anything heard since start-up."""
        for row in reversed(kept):
            if row.display_id in self._last_event:
                continue
            self._last_event[row.display_id] = row.last_event_at
            if row.signals is not None:
                self._signals[row.display_id] = row.signals
        self.version += 1

    def last_event(self, display_id: int) -> datetime | None:
        """When the latest event applied to this customer was created."""
        return self._last_event.get(display_id)

    def copy(self) -> dict[int, Signals]:
        """Every customer's signals now, as a plain dict another thread may read."""
        return dict(self._signals.items())

    def put(self, display_id: int, signals: Signals) -> None:
        """Replace (for a replica told by another one)."""
        if self._signals.get(display_id) != signals:
            self._signals[display_id] = signals
            self.version += 1


def _merge(old: Signals | None, new: Signals) -> Signals:
    if old is None:
        return new
    update = new.model_dump(exclude_unset=True)
    if "health_score" in update and "previous_health_score" not in update:
        # A new score without its predecessor: the old "down from" no longer applies.
        update["previous_health_score"] = None
    return old.model_copy(update=update)
