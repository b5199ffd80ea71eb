"""Customer changes from webhooks and refetches, applied so that newer always wins."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.logs import event as log_event
from bot.lookup.directory import Snapshot
from bot.lookup.service import CustomerLookup
from bot.lookup.signals import SignalBook
from bot.pivotal.models import Customer, instant
from bot.pivotal.webhooks import SIGNAL_FIELDS, CustomerEvent

log = logging.getLogger(__name__)

Result = Literal["replaced", "merged", "older", "unknown"]
# Partial updates whose changed fields are all in the object need no refetch.
_REFETCH_TYPES = frozenset({"customer.created", "customer.updated"})


class CustomerCopies(Protocol):
    """Where a customer's last good copy lives: the cache and the directory together."""

    def best(self, display_id: int) -> Snapshot | None: ...

    async def put(self, customer: Customer) -> None: ...


@dataclass(frozen=True)
class Applied:
    display_id: int
    result: Result
    refetch: bool = False

    @property
    def changed(self) -> bool:
        return self.result in ("replaced", "merged")


class Changes:
    """Applies customer events to the copies and the signal book; tells listeners after."""

    def __init__(
        self,
        copies: CustomerCopies,
        signals: SignalBook,
    ):
        self._copies = copies
        self.signals = signals
        self._listeners: list[Callable[[int], None]] = []

    def on_change(self, listener: Callable[[int], None]) -> None:
        """Call `listener(display_id)` after each change (live cards, other replicas)."""
        self._listeners.append(listener)

    async def apply(self, event: CustomerEvent) -> Applied:
        """Apply one verified event; an older state never overwrites a newer one."""
        did = event.display_id
        current = self._copies.best(did)
        if self._is_older(event, current):
            return self._done(event, Applied(did, "older"))
        told = self.signals.record(did, event.created_at, event.signals)
        if event.customer is not None:
            await self._copies.put(event.customer)
            return self._done(event, Applied(did, "replaced"))
        if current is None:
            # Nothing to merge into: the signals are kept; a lookup will GET the rest.
            return self._done(event, Applied(did, "merged" if told else "unknown"))
        merged = self._merge(current.customer, event)
        await self._copies.put(merged)
        return self._done(event, Applied(did, "merged", _needs_refetch(event, merged)))

    async def refreshed(self, customer: Customer) -> bool:
        """A copy fetched from Pivotal; kept unless a newer one arrived meanwhile."""
        current = self._copies.best(customer.display_id)
        if current is not None and _before(customer.updated_at, current.customer.updated_at):
            return False
        await self._copies.put(customer)
        if current is None or current.customer != customer:
            self.notify(customer.display_id)
            return True
        return False

    def best(self, display_id: int) -> Snapshot | None:
        return self._copies.best(display_id)

    def notify(self, display_id: int) -> None:
        for listener in self._listeners:
            listener(display_id)

    def _is_older(self, event: CustomerEvent, current: Snapshot | None) -> bool:
        updated = event.updated_at
        if updated is not None and current is not None:
            return _before(updated, current.customer.updated_at) or self.signals.is_older(
                event.display_id, event.created_at
            )
        return self.signals.is_older(event.display_id, event.created_at)

    def _merge(self, customer: Customer, event: CustomerEvent) -> Customer:
        update = dict(event.fields)
        status = event.status or _status_from(event, customer.status)
        if status:
            update["status"] = status
        if event.updated_at is not None:
            update["updated_at"] = event.updated_at
        return customer.model_copy(update=update)

    def _done(self, event: CustomerEvent, applied: Applied) -> Applied:
        log_event(log, "pivotal.webhook.applied", type=event.type, event_id=event.id,
                  display_id=applied.display_id, result=applied.result,
                  refetch=applied.refetch)  # fmt: skip
        if applied.changed:
            self.notify(applied.display_id)
        return applied


def _status_from(event: CustomerEvent, status: str) -> str | None:
    signals = event.signals
    if signals is None:
        return None
    if signals.churned:
        return "churned"
    if signals.at_risk and status in ("active", "onboarding"):
        return "at_risk"
    return None


def _needs_refetch(event: CustomerEvent, merged: Customer) -> bool:
    """Refetch when the event may have changed REST fields it did not carry."""
    if event.signals is not None and event.signals.at_risk is False and merged.status == "at_risk":
        return True  # no longer at risk, but which status it went back to is not said
    if event.type not in _REFETCH_TYPES:
        return False
    if event.changed is None:
        return True
    carried = set(event.fields) | SIGNAL_FIELDS
    return not event.changed <= carried


def _before(a: datetime, b: datetime) -> bool:
    return instant(a) < instant(b)


class LookupCopies:
    """CustomerCopies over the lookup's cache and the directory."""

    def __init__(self, lookup: CustomerLookup):
        self._lookup = lookup

    def best(self, display_id: int) -> Snapshot | None:
        return self._lookup.best_copy(str(display_id))

    async def put(self, customer: Customer) -> None:
        await self._lookup.remember(customer)
