"""Which changes are worth a message, and to which kind of follow (pure; table-tested).

Status, plan, MRR and owner changes are told as they are. Health is told only when it
drops by HEALTH_DROP points or more below a baseline: the score last told (or the highest
since), so a score bouncing around a threshold is not told twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.follows.model import Notice
from bot.lookup.changed import CustomerChanged
from bot.pivotal.models import Customer, Signals

HEALTH_DROP = 10


@dataclass(frozen=True)
class Worth:
    """What one change says, per kind, and the health baseline it leaves behind."""

    notices: tuple[Notice, ...]
    baseline: int | None  # the new health baseline (None: unchanged or unknown)

    def for_kinds(self, kinds: frozenset[str]) -> tuple[Notice, ...]:
        return tuple(n for n in self.notices if n.kind in kinds or n.kind == "created")


def worth(change: CustomerChanged, baseline: int | None) -> Worth:
    """The notices a change carries for a follow of its customer, before kinds are applied."""
    before, after = change.before, change.after
    notices: list[Notice] = []
    if before is None and after is not None and change.cause == "webhook":
        notices.append(Notice("created", None, after.status))
    if before is not None and after is not None:
        notices += _customer_notices(before, after)
    owner = _owner(change.signals_before), _owner(change.signals_after)
    # The first owner heard is the bot learning it (webhooks are its only source), not news.
    if owner[0] is not None and owner[1] is not None and owner[0] != owner[1]:
        notices.append(Notice("owner", owner[0], owner[1]))
    health, new_baseline = _health(change.signals_before, change.signals_after, baseline)
    if health is not None:
        notices.append(health)
    return Worth(tuple(notices), new_baseline)


def _customer_notices(before: Customer, after: Customer) -> list[Notice]:
    notices = []
    if before.status != after.status:
        notices.append(Notice("status", before.status, after.status))
    if before.plan != after.plan:
        notices.append(Notice("plan", before.plan, after.plan))
    if before.mrr != after.mrr:
        notices.append(Notice("mrr", _text(before.mrr), _text(after.mrr)))
    return notices


def _health(
    before: Signals | None, after: Signals | None, baseline: int | None
) -> tuple[Notice | None, int | None]:
    """A drop of HEALTH_DROP or more below the baseline, and the baseline after it."""
    score = after.health_score if after is not None else None
    if score is None:
        return None, None
    start = baseline
    if start is None:  # first score heard for this customer: measure from what came before
        told = before.health_score if before is not None else None
        assert after is not None
        start = told if told is not None else after.previous_health_score
    if start is None:
        return None, score
    if score <= start - HEALTH_DROP:
        return Notice("health", str(start), str(score)), score
    return None, max(start, score)


def segment_notice(was_member: bool, is_member: bool, segment: str) -> Notice | None:
    """Entering or leaving a followed segment."""
    if was_member == is_member:
        return None
    return Notice("segment", None if is_member else segment, segment if is_member else None)


def event_key(change: CustomerChanged) -> str:
    """What makes one change the same change on every replica and every redelivery."""
    if change.event_id is not None:
        return f"event:{change.event_id}"
    after = change.after.model_dump_json() if change.after is not None else ""
    told = change.signals_after.model_dump_json() if change.signals_after is not None else ""
    digest = hashlib.sha256(f"{change.display_id}|{after}|{told}".encode()).hexdigest()[:32]
    return f"state:{digest}"


def _owner(signals: Signals | None) -> str | None:
    return signals.owner_email if signals is not None else None


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)
