"""Linking a Slack channel to a customer: what would change, and the writes, all or nothing.

A channel names one customer through the customer's `slack_channel_id` in Pivotal.
Linking customer B to channel X writes B first, then clears X from every other customer
linked to it; if a later write fails, the earlier ones are put back, so Pivotal is left as
it was (or the result says exactly what could not be put back). Every written customer
goes into the lookup's copies and the directory at once, so `/customer` in X and lists
answer from the new state without waiting for a webhook or a walk.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.logs import event
from bot.lookup.directory import Snapshot
from bot.lookup.linkers import Linkers
from bot.pivotal.errors import (
    CustomerNotFound,
    PivotalAuthError,
    PivotalError,
    PivotalRateLimited,
    PivotalRefused,
)
from bot.pivotal.models import Customer, instant

log = logging.getLogger(__name__)

UNDO_ATTEMPTS = 3
UNDO_WAIT = 20.0  # seconds a put-back waits out Pivotal's rate limit before giving up
FailureKind = Literal["refused", "auth", "rate_limited", "unavailable", "not_found"]


class CustomerWriter(Protocol):
    """PivotalClient as linking uses it."""

    async def update_customer(self, ref: str, changes: Mapping[str, object]) -> Customer: ...


class ChannelIndex(Protocol):
    """The directory as linking reads it."""

    @property
    def ready(self) -> bool: ...

    async def wait_ready(self, timeout: float) -> bool: ...

    def by_channel(self, channel_id: str) -> list[Snapshot]: ...


BestCopy = Callable[[str], Snapshot | None]
Keep = Callable[[Customer], Awaitable[object]]


@dataclass(frozen=True)
class LinkPlan:
    """What linking `customer` to `channel_id` (None: unlinking it) changes in Pivotal."""

    channel_id: str
    customer: Customer | None  # None: unlink the channel from everyone
    displaced: tuple[Customer, ...]  # other customers linked to the channel today

    @property
    def replaces(self) -> str | None:
        """The other channel the customer is linked to today, which this link replaces."""
        if self.customer is None or self.customer.slack_channel_id == self.channel_id:
            return None
        return self.customer.slack_channel_id or None

    @property
    def already(self) -> bool:
        """The customer is linked to this channel already: nothing to write."""
        return self.customer is not None and self.customer.slack_channel_id == self.channel_id

    @property
    def empty(self) -> bool:
        """Nothing would change: already linked, or an unlink with nobody linked."""
        return self.already or (self.customer is None and not self.displaced)

    def digest(self) -> str:
        """A short fingerprint of the plan, so a confirmation applies only what it showed."""
        linked = self.customer
        parts = [self.channel_id, linked.id if linked else "-"]
        parts.append((linked.slack_channel_id or "-") if linked else "-")
        parts.extend(sorted(c.id for c in self.displaced))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Done:
    """The plan is in Pivotal: `linked` as written, and the customers whose link was cleared."""

    plan: LinkPlan
    linked: Customer | None
    cleared: tuple[Customer, ...]


@dataclass(frozen=True)
class Changed:
    """The links changed since the confirmation was shown: `plan` is what Confirm does now."""

    plan: LinkPlan


@dataclass(frozen=True)
class WriteFailed:
    """A write failed. The writes before it were put back (`undone`), except those in
    `left`, which stand as written because putting them back failed too."""

    plan: LinkPlan
    kind: FailureKind
    failed_on: Customer
    reason: str | None = None  # Pivotal's own words, when it refused the change
    retry_after: float | None = None
    undone: tuple[Customer, ...] = ()
    left: tuple[Customer, ...] = ()


Result = Done | Changed | WriteFailed


@dataclass(frozen=True)
class _Write:
    customer: Customer  # as it was before this write
    channel: str | None  # the value written


class ChannelLinks:
    """Plans and applies channel links; one change at a time in this process."""

    def __init__(
        self,
        writer: CustomerWriter,
        index: ChannelIndex,
        best: BestCopy,
        keep: Keep,
        linkers: Linkers,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self._writer = writer
        self._index = index
        self._best = best  # the newest copy held of a customer (cache or directory)
        self._keep = keep  # puts a written customer into the copies and the directory
        self.linkers = linkers
        self._sleep = sleep
        self._lock = asyncio.Lock()

    @property
    def ready(self) -> bool:
        """Whether the customer list is loaded (without it, links to a channel are unknown)."""
        return self._index.ready

    async def wait_ready(self, timeout: float) -> bool:
        return await self._index.wait_ready(timeout)

    def linked_to(self, channel_id: str) -> tuple[Customer, ...]:
        """Customers linked to `channel_id` now, by the newest copy of each, by display_id."""
        found: dict[str, Customer] = {}
        for snap in self._index.by_channel(channel_id):
            newest = self._newest(snap.customer)
            if newest.slack_channel_id == channel_id:
                found[newest.id] = newest
        return tuple(sorted(found.values(), key=lambda c: c.display_id))

    def plan_link(self, customer: Customer, channel_id: str) -> LinkPlan:
        newest = self._newest(customer)
        others = tuple(c for c in self.linked_to(channel_id) if c.id != newest.id)
        return LinkPlan(channel_id, newest, others)

    def plan_unlink(self, channel_id: str) -> LinkPlan:
        return LinkPlan(channel_id, None, self.linked_to(channel_id))

    async def link(
        self, customer: Customer, channel_id: str, *, user: str, expected: str | None = None
    ) -> Result:
        """Link `customer` to `channel_id`, moving the channel away from anyone else."""
        async with self._lock:
            plan = self.plan_link(customer, channel_id)
            if plan.already or (expected is not None and plan.digest() != expected):
                return Changed(plan)
            assert plan.customer is not None
            writes = [_Write(plan.customer, channel_id)]
            writes += [_Write(c, None) for c in plan.displaced]
            return await self._apply(plan, writes, user)

    async def unlink(self, channel_id: str, *, user: str, expected: str | None = None) -> Result:
        """Clear `channel_id` from every customer linked to it."""
        async with self._lock:
            plan = self.plan_unlink(channel_id)
            if plan.empty or (expected is not None and plan.digest() != expected):
                return Changed(plan)
            return await self._apply(plan, [_Write(c, None) for c in plan.displaced], user)

    async def _apply(self, plan: LinkPlan, writes: list[_Write], user: str) -> Result:
        done: list[tuple[_Write, Customer]] = []
        for write in writes:
            try:
                written = await self._write(write.customer, write.channel, plan, user, "write")
            except PivotalError as exc:
                left = await self._undo(done, plan, user)
                undone = tuple(w.customer for w, _ in done if w.customer.id not in left)
                return _failed(plan, write.customer, exc, undone, tuple(left.values()))
            done.append((write, written))
        results = [written for _, written in done]
        if plan.customer is None:
            return Done(plan, None, tuple(results))
        return Done(plan, results[0], tuple(results[1:]))

    async def _undo(
        self, done: list[tuple[_Write, Customer]], plan: LinkPlan, user: str
    ) -> dict[str, Customer]:
        """Put back what `done` wrote, newest first; those that could not be, by id."""
        left: dict[str, Customer] = {}
        for write, written in reversed(done):
            if not await self._put_back(written, write.customer.slack_channel_id, plan, user):
                left[written.id] = written
        return left

    async def _put_back(
        self, written: Customer, channel: str | None, plan: LinkPlan, user: str
    ) -> bool:
        """Write `channel` back; a rate limit is waited out (briefly) rather than left."""
        for attempt in range(1, UNDO_ATTEMPTS + 1):
            try:
                await self._write(written, channel, plan, user, "undo")
                return True
            except PivotalRateLimited as exc:
                if attempt == UNDO_ATTEMPTS or exc.retry_after > UNDO_WAIT:
                    return False
                await self._sleep(exc.retry_after)
            except PivotalError:
                return False
        return False

    async def _write(
        self, customer: Customer, channel: str | None, plan: LinkPlan, user: str, step: str
    ) -> Customer:
        before = customer.slack_channel_id
        fields: dict[str, object] = {
            "user": user, "channel": plan.channel_id, "display_id": customer.display_id,
            "before": before or "-", "after": channel or "-", "step": step,
        }  # fmt: skip
        try:
            written = await self._writer.update_customer(customer.id, {"slack_channel_id": channel})
        except PivotalError as exc:
            event(log, "channel.link.write", logging.WARNING, outcome="failed",
                  error=type(exc).__name__, status=exc.status, **fields)  # fmt: skip
            raise
        event(log, "channel.link.write", logging.INFO, outcome="ok", **fields)
        await self._keep(written)
        return written

    def _newest(self, customer: Customer) -> Customer:
        held = self._best(customer.id)
        if held is not None and instant(held.customer.updated_at) > instant(customer.updated_at):
            return held.customer
        return customer


def _failed(
    plan: LinkPlan,
    on: Customer,
    exc: PivotalError,
    undone: tuple[Customer, ...],
    left: tuple[Customer, ...],
) -> WriteFailed:
    kind: FailureKind = "unavailable"
    if isinstance(exc, PivotalRefused):
        kind = "refused"
    elif isinstance(exc, PivotalAuthError):
        kind = "auth"
    elif isinstance(exc, PivotalRateLimited):
        kind = "rate_limited"
    elif isinstance(exc, CustomerNotFound):
        kind = "not_found"
    reason = exc.reason if isinstance(exc, PivotalRefused) else None
    wait = exc.retry_after if isinstance(exc, PivotalRateLimited) else None
    return WriteFailed(plan, kind, on, reason, wait, undone, left)
