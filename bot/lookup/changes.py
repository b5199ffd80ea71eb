"""Customer changes from webhooks, refetches, walks and peers, applied so that newer wins.

Every change that alters what the bot knows of a customer becomes one typed
`CustomerChanged`, handed to the subscribers passed in at construction (`Subscribers`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.logs import event as log_event
from bot.lookup.changed import Cause, CustomerChanged, Origin, Subscribers
from bot.lookup.directory import Snapshot
from bot.lookup.service import CustomerLookup
from bot.lookup.signals import KeptSignals, SignalBook, SignalStore
from bot.pivotal.models import Customer, Signals, instant
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
    """Applies customer events to the copies and the signal book; tells subscribers after."""

    def __init__(
        self,
        copies: CustomerCopies,
        signals: SignalBook,
        *,
        subscribers: Subscribers | None = None,
        kept: SignalStore | None = None,
    ):
        self._copies = copies
        self.signals = signals
        self._subscribers = subscribers if subscribers is not None else Subscribers()
        self._kept = kept  # the durable tier: signals survive restarts

    async def apply(self, event: CustomerEvent) -> Applied:
        """Apply one verified event; an older state never overwrites a newer one.

        With a durable signal store, a failure to keep the signals raises (the webhook
        inbox then applies the event again later) before anything is told.
        """
        did = event.display_id
        current = self._copies.best(did)
        if self._is_older(event, current):
            return self._logged(event, Applied(did, "older"))
        before = _Before(current.customer if current else None, self.signals.get(did))
        told = self.signals.record(did, event.created_at, event.signals)
        if self._kept is not None:
            await self._kept.save(KeptSignals(did, self.signals.get(did), event.created_at))
        if event.customer is not None:
            await self._copies.put(event.customer)
            applied = Applied(did, "replaced")
        elif current is None:
            # Nothing to merge into: the signals are kept; a lookup will GET the rest.
            applied = Applied(did, "merged" if told else "unknown")
        else:
            merged = self._merge(current.customer, event)
            await self._copies.put(merged)
            applied = Applied(did, "merged", _needs_refetch(event, merged))
        self._logged(event, applied)
        if applied.changed:
            await self._tell(did, before, "webhook", event_id=event.id)
        return applied

    async def refreshed(
        self, customer: Customer, *, cause: Cause = "refetch", origin: Origin = "local"
    ) -> bool:
        """A copy fetched from Pivotal; kept unless a newer one arrived meanwhile."""
        did = customer.display_id
        current = self._copies.best(did)
        if current is not None and _before(customer.updated_at, current.customer.updated_at):
            return False
        await self._copies.put(customer)
        if current is None or current.customer != customer:
            before = _Before(current.customer if current else None, self.signals.get(did))
            await self._tell(did, before, cause, origin=origin)
            return True
        return False

    async def from_peer(
        self, display_id: int, customer: Customer | None, signals: Signals | None
    ) -> None:
        """A change another replica applied: take it here too (newer still wins).

        Told to the `every_replica` subscribers even when this replica already held the
        copy (pulled from Redis first): the change is real, and the live-card registry
        keeps a card from being redrawn twice for it.
        """
        current = self._copies.best(display_id)
        before = _Before(current.customer if current else None, self.signals.get(display_id))
        if signals is not None:
            self.signals.put(display_id, signals)
        if customer is not None and (
            current is None or not _before(customer.updated_at, current.customer.updated_at)
        ):
            await self._copies.put(customer)
        await self._tell(display_id, before, "webhook", origin="peer", force=True)

    async def walked(self, seen: dict[int, tuple[Customer | None, Customer | None]]) -> None:
        """A directory walk ran: tell what it changed, per customer (before, as walked)."""
        for display_id, (before, after) in seen.items():
            told = self.signals.get(display_id)
            change = CustomerChanged(display_id, before, after, told, told, "walk")
            if change.changed:
                await self._subscribers.tell(change)

    def best(self, display_id: int) -> Snapshot | None:
        return self._copies.best(display_id)

    async def _tell(
        self,
        display_id: int,
        before: _Before,
        cause: Cause,
        *,
        event_id: str | None = None,
        origin: Origin = "local",
        force: bool = False,
    ) -> None:
        now = self._copies.best(display_id)
        change = CustomerChanged(
            display_id,
            before.customer,
            now.customer if now else None,
            before.signals,
            self.signals.get(display_id),
            cause,
            event_id,
            origin,
        )
        if force or change.changed:
            await self._subscribers.tell(change)

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

    def _logged(self, event: CustomerEvent, applied: Applied) -> Applied:
        log_event(log, "pivotal.webhook.applied", type=event.type, event_id=event.id,
                  display_id=applied.display_id, result=applied.result,
                  refetch=applied.refetch)  # fmt: skip
        return applied


@dataclass(frozen=True)
class _Before:
    customer: Customer | None
    signals: Signals | None


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
