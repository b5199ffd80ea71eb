"""The webhook inbox in SQL: a row per event id, committed before the 2xx, leased to its applier.

Every method is one statement in its own transaction, committed before it returns, so no
row lock is ever held while an event is applied. Claiming is a single
`UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`: on PostgreSQL
concurrent claimers skip each other's rows; on SQLite the single writer serialises them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import delete, func, select, update

from bot.lookup.feed import InboxEntry
from bot.store.database import Database
from bot.store.schema import webhook_inbox as inbox

MAX_ERROR_CHARS = 1000


class SqlInbox:
    """bot.lookup.feed.Inbox on a Database; `clock` gives epoch seconds (tests inject one)."""

    def __init__(self, database: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = database
        self._clock = clock

    async def record(
        self, event_id: str, body: bytes, *, lease_seconds: float
    ) -> InboxEntry | None:
        now = self._clock()
        row = {
            "event_id": event_id,
            "body": body,
            "received_at": now,
            "lease_until": now + lease_seconds,
            "attempts": 1,
        }
        stmt = (
            self._db.insert(inbox)
            .values(row)
            .on_conflict_do_nothing(index_elements=[inbox.c.event_id])
            .returning(inbox.c.id)
        )
        async with self._db.begin() as conn:
            entry_id = (await conn.execute(stmt)).scalar_one_or_none()
        return None if entry_id is None else InboxEntry(entry_id, event_id, body, 1)

    async def claim(self, *, limit: int, lease_seconds: float) -> list[InboxEntry]:
        now = self._clock()
        due = (
            select(inbox.c.id)
            .where(inbox.c.done_at.is_(None), inbox.c.lease_until <= now)
            .order_by(inbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite drops it (one writer)
        )
        stmt = (
            update(inbox)
            .where(inbox.c.id.in_(due))
            .values(lease_until=now + lease_seconds, attempts=inbox.c.attempts + 1)
            .returning(inbox.c.id, inbox.c.event_id, inbox.c.body, inbox.c.attempts)
        )
        async with self._db.begin() as conn:
            rows = (await conn.execute(stmt)).all()
        entries = [InboxEntry(r.id, r.event_id, bytes(r.body), r.attempts) for r in rows]
        return sorted(entries, key=lambda entry: entry.id)  # RETURNING keeps no order

    async def done(self, entry_id: int) -> None:
        stmt = (
            update(inbox)
            .where(inbox.c.id == entry_id, inbox.c.done_at.is_(None))
            .values(done_at=self._clock())
        )
        async with self._db.begin() as conn:
            await conn.execute(stmt)

    async def retry_later(self, entry_id: int, error: str, *, delay_seconds: float) -> None:
        stmt = (
            update(inbox)
            .where(inbox.c.id == entry_id, inbox.c.done_at.is_(None))
            .values(lease_until=self._clock() + delay_seconds, last_error=error[:MAX_ERROR_CHARS])
        )
        async with self._db.begin() as conn:
            await conn.execute(stmt)

    async def purge(self, *, older_than_seconds: float) -> int:
        stmt = delete(inbox).where(
            inbox.c.done_at.is_not(None),
            inbox.c.received_at < self._clock() - older_than_seconds,
        )
        async with self._db.begin() as conn:
            return (await conn.execute(stmt)).rowcount

    async def pending(self) -> tuple[int, float | None]:
        stmt = select(func.count(), func.min(inbox.c.received_at)).where(inbox.c.done_at.is_(None))
        async with self._db.connect() as conn:
            count, oldest = (await conn.execute(stmt)).one()
        age = None if oldest is None else max(0.0, self._clock() - oldest)
        return int(count), age
