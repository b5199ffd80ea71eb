"""The signal book in SQL: the latest Signals per customer, and every health score heard.

`save` is one upsert plus, when the signals carry a health score, one insert that a
replayed event (same customer, same event time) leaves as it was.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import func, select

from bot.logs import event
from bot.lookup.signals import KeptSignals
from bot.pivotal.models import Signals, instant
from bot.store.database import Database
from bot.store.schema import customer_signals as kept_table
from bot.store.schema import health_scores

log = logging.getLogger(__name__)


class SqlSignals:
    """bot.lookup.signals.SignalStore on a Database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def load(self, *, limit: int) -> list[KeptSignals]:
        stmt = (
            select(kept_table)
            .order_by(kept_table.c.last_event_at.desc(), kept_table.c.display_id.desc())
            .limit(limit)
        )
        async with self._db.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            KeptSignals(
                row.display_id, _signals(row.display_id, row.signals), _at(row.last_event_at)
            )
            for row in rows
        ]

    async def save(self, kept: KeptSignals) -> None:
        at = instant(kept.last_event_at).timestamp()
        signals = kept.signals
        insert = self._db.insert(kept_table).values(
            display_id=kept.display_id,
            signals=None if signals is None else signals.model_dump_json(exclude_none=True),
            last_event_at=at,
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[kept_table.c.display_id],
            set_={
                "signals": insert.excluded.signals,
                "last_event_at": insert.excluded.last_event_at,
            },
        )
        async with self._db.begin() as conn:
            await conn.execute(upsert)
            if signals is not None and signals.health_score is not None:
                score = self._db.insert(health_scores).values(
                    display_id=kept.display_id, at=at, score=signals.health_score
                )
                await conn.execute(score.on_conflict_do_nothing())

    async def health_history(
        self, display_id: int, *, since: datetime
    ) -> list[tuple[datetime, int]]:
        stmt = (
            select(health_scores.c.at, health_scores.c.score)
            .where(
                health_scores.c.display_id == display_id,
                health_scores.c.at >= instant(since).timestamp(),
            )
            .order_by(health_scores.c.at)
        )
        async with self._db.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [(_at(row.at), int(row.score)) for row in rows]

    async def health_peaks(self, *, since: datetime) -> dict[int, int]:
        start = instant(since).timestamp()
        h = health_scores
        within = select(h.c.display_id, func.max(h.c.score).label("peak")).where(h.c.at >= start)
        latest = (
            select(h.c.display_id, func.max(h.c.at).label("at"))
            .where(h.c.at < start)
            .group_by(h.c.display_id)
            .subquery()
        )
        before = select(h.c.display_id, h.c.score).join(
            latest, (h.c.display_id == latest.c.display_id) & (h.c.at == latest.c.at)
        )
        peaks: dict[int, int] = {}
        async with self._db.connect() as conn:
            for row in (await conn.execute(within.group_by(h.c.display_id))).all():
                peaks[int(row.display_id)] = int(row.peak)
            for row in (await conn.execute(before)).all():
                did = int(row.display_id)
                peaks[did] = max(peaks.get(did, row.score), int(row.score))
        return peaks


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _signals(display_id: int, stored: str | None) -> Signals | None:
    """The kept JSON as Signals; a row the model no longer accepts is dropped, not fatal."""
    if stored is None:
        return None
    try:
        return Signals.model_validate_json(stored)
    except ValidationError:
        event(log, "store.signals.unreadable", logging.WARNING, display_id=display_id)
        return None
