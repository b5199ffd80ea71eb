"""The notification outbox in SQL: bot.follows.store.Outbox, folded once, claimed with a lease.

A notification's `day` is the UTC date of its first change (`utc_day(first_at)`): pass
the same to `thread()`. Every method commits before it returns, so no row lock is held
while Slack is called. Claiming is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
LOCKED) RETURNING …` (SQLite's single writer serialises claimers instead). A fold and a
send may overlap: `revision` counts folds and `sent()` compares it with the revision the
sender claimed, so changes folded into a message in flight are edited in afterwards.
`purge` also forgets folded-change keys older than `before` and digests of earlier days.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    String,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

from bot.follows.model import Follow, Notice, Notification
from bot.follows.store import OutboxStats
from bot.store.outbox_channels import (
    ChannelOutbox,
    dump_notices,
    fold_notices,
    load_notices,
    of_follow,
    utc_day,
)
from bot.store.schema import NOTIFICATION_MAY_BE_DUE, digest_items, digest_runs, follows
from bot.store.schema import notifications as n
from bot.store.schema import notified_events as folded

__all__ = ["SqlOutbox", "utc_day"]

MAX_ERROR_CHARS = 1000
STATUSES = ("pending", "sending", "sent", "failed")
MAY_BE_DUE = text(f"({NOTIFICATION_MAY_BE_DUE})")  # the due index's own condition
OLDEST_FIRST = (n.c.first_at, n.c.id)
UNSURE = "; outcome unknown since "  # a post that may have happened: check before posting


def unsure(error: str, since: float) -> str:
    """`error` for a row whose post may have reached Slack at `since` (epoch seconds) or
    later: its next claim carries `extra["unsure_since"]`, so the sender looks first."""
    return f"{error[:200]}{UNSURE}{since:.3f}"


class SqlOutbox(ChannelOutbox):
    """bot.follows.store.Outbox on a Database."""

    async def fold(
        self,
        follow: Follow,
        display_id: int,
        event_key: str,
        notices: tuple[Notice, ...],
        *,
        now: float,
        window_seconds: float,
        broadcast: bool,
    ) -> Notification | None:
        """One transaction: the change's key (a second time, or for a gone follow: None),
        then the follow's row lock (PostgreSQL: concurrent folds of one follow take turns,
        so one window never gets two notifications), then join or start one."""
        first_time = (
            self._db.insert(folded)
            .from_select(["follow_id", "event_key", "at"], of_follow(follow.id, event_key, now))
            .on_conflict_do_nothing(index_elements=[folded.c.follow_id, folded.c.event_key])
            .returning(folded.c.id)
        )
        joinable = _joinable(follow.id, display_id, since=now - window_seconds)
        async with self._db.begin() as conn:  # the insert first: SQLite takes its write lock
            if (await conn.execute(first_time)).first() is None:
                return None
            if self._db.shared:
                await conn.execute(_lock(follow.id))
            current = (await conn.execute(joinable)).one_or_none()
            stmt: ReturningInsert[Any] | ReturningUpdate[Any]
            if current is None:
                stmt = _start(follow, display_id, notices, now=now, broadcast=broadcast)
            else:
                stmt = _join(current, notices, now=now, broadcast=broadcast)
            row = (await conn.execute(stmt)).one()
        return _notification(row)

    async def claim(self, *, now: float, lease_seconds: float, limit: int) -> list[Notification]:
        """Leased rows wait until `next_attempt_at` (the lease's end); paused follows wait."""
        active = select(follows.c.id).where(follows.c.paused_reason.is_(None))
        due = (
            select(n.c.id)
            .where(MAY_BE_DUE, n.c.next_attempt_at <= now, n.c.follow_id.in_(active))
            .order_by(*OLDEST_FIRST)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite drops it (one writer)
        )
        stmt = (
            update(n)
            .where(n.c.id.in_(due))
            .values(
                status="sending",
                lease_until=now + lease_seconds,
                next_attempt_at=now + lease_seconds,
                claimed_at=now,
                attempts=n.c.attempts + 1,
                claimed_revision=n.c.revision,
                # A lease that ran out: the post may or may not have happened since the
                # claim before this one (SET reads the row as it was).
                last_error=case(
                    (
                        (n.c.status == "sending") & n.c.ts.is_(None),
                        literal("lease ran out" + UNSURE) + cast(n.c.claimed_at, String),
                    ),
                    else_=n.c.last_error,
                ),
            )
            .returning(*n.c)
        )
        async with self._db.begin() as conn:
            rows = (await conn.execute(stmt)).all()
        claimed = [_claimed(row) for row in rows]
        return sorted(claimed, key=lambda x: (x.first_at, x.id))  # RETURNING keeps no order

    async def sent(
        self, notification_id: int, *, ts: str, thread_ts: str | None, now: float
    ) -> None:
        """Changes folded in since the claim leave it `needs_update`, due at once."""
        values = {
            "status": "sent",
            "ts": ts,
            "thread_ts": thread_ts,
            "lease_until": None,
            "next_attempt_at": now,
            "needs_update": n.c.revision > n.c.claimed_revision,
        }
        await self._update(notification_id, values)

    async def retry(self, notification_id: int, error: str, *, at: float) -> None:
        """Only a row still owed (pending or sending) is put back."""
        values = {
            "status": "pending",
            "next_attempt_at": at,
            "lease_until": None,
            "last_error": error[:MAX_ERROR_CHARS],
        }
        await self._update(notification_id, values, n.c.status.in_(("pending", "sending")))

    async def failed(self, notification_id: int, reason: str) -> None:
        values = {
            "status": "failed",
            "lease_until": None,
            "needs_update": False,
            "last_error": reason[:MAX_ERROR_CHARS],
        }
        await self._update(notification_id, values)

    async def thread(self, channel_id: str, display_id: int, day: str) -> Notification | None:
        stmt = (
            select(n)
            .where(
                n.c.channel_id == channel_id,
                n.c.display_id == display_id,
                n.c.day == day,
                n.c.ts.is_not(None),
                n.c.thread_ts.is_(None),
            )
            .order_by(*OLDEST_FIRST)
            .limit(1)
        )
        async with self._db.connect() as conn:
            row = (await conn.execute(stmt)).one_or_none()
        return None if row is None else _notification(row)

    async def recent_count(self, follow_id: int, *, since: float) -> int:
        stmt = select(func.count()).where(n.c.follow_id == follow_id, n.c.first_at >= since)
        async with self._db.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def recent_counts(self, follow_ids: list[int], *, since: float) -> dict[int, int]:
        counts: dict[int, int] = {}
        async with self._db.connect() as conn:
            for at in range(0, len(follow_ids), 500):  # a bounded IN list per query
                chunk = follow_ids[at : at + 500]
                stmt = (
                    select(n.c.follow_id, func.count())
                    .where(n.c.follow_id.in_(chunk), n.c.first_at >= since)
                    .group_by(n.c.follow_id)
                )
                counts.update({int(f): int(c) for f, c in (await conn.execute(stmt)).all()})
        return counts

    async def purge(self, *, before: float) -> int:
        """Sent and failed notifications begun before `before` (how many); also the keys of
        changes folded before then, and digests of days before its UTC day."""
        done = n.c.status.in_(("sent", "failed"))
        old_day = utc_day(before)
        async with self._db.begin() as conn:
            stmt = delete(n).where(done, n.c.first_at < before).returning(n.c.id)
            purged = len((await conn.execute(stmt)).all())
            await conn.execute(delete(folded).where(folded.c.at < before))
            await conn.execute(delete(digest_items).where(digest_items.c.day < old_day))
            await conn.execute(delete(digest_runs).where(digest_runs.c.day < old_day))
        return purged

    async def stats(self, *, now: float) -> OutboxStats:
        by_status = select(n.c.status, func.count()).group_by(n.c.status)
        oldest = select(func.min(n.c.first_at)).where(n.c.status == "pending")
        reasons = (
            select(n.c.last_error, func.count())
            .where(n.c.status == "failed")
            .group_by(n.c.last_error)
        )
        async with self._db.connect() as conn:
            counts = dict.fromkeys(STATUSES, 0)
            counts.update({status: int(c) for status, c in (await conn.execute(by_status)).all()})
            first = (await conn.execute(oldest)).scalar_one_or_none()
            failed = {reason or "": int(c) for reason, c in (await conn.execute(reasons)).all()}
        age = None if first is None else max(0.0, now - first)
        return OutboxStats(counts, age, failed)

    async def _update(self, notification_id: int, values: dict[str, Any], *where: Any) -> None:
        stmt = update(n).where(n.c.id == notification_id, *where).values(values)
        async with self._db.begin() as conn:
            await conn.execute(stmt)


def _lock(follow_id: int) -> Select[Any]:
    """The follow's row, FOR NO KEY UPDATE: FOR UPDATE would wait on the key-share lock
    that another fold's foreign-key check holds, while that fold waits on ours (deadlock)."""
    return select(follows.c.id).where(follows.c.id == follow_id).with_for_update(key_share=True)


def _joinable(follow_id: int, display_id: int, *, since: float) -> Select[Any]:
    """The follow's newest notification for the customer begun since `since`, not failed."""
    return (
        select(n)
        .where(
            n.c.follow_id == follow_id,
            n.c.display_id == display_id,
            n.c.first_at >= since,
            n.c.status != "failed",
        )
        .order_by(n.c.first_at.desc(), n.c.id.desc())
        .limit(1)
    )


def _start(
    follow: Follow, display_id: int, notices: tuple[Notice, ...], *, now: float, broadcast: bool
) -> ReturningInsert[Any]:
    """A new pending notification, due now."""
    values = {
        "follow_id": follow.id,
        "channel_id": follow.destination.channel_id,
        "display_id": display_id,
        "day": utc_day(now),
        "notices": dump_notices(fold_notices((), notices)),
        "status": "pending",
        "attempts": 0,
        "first_at": now,
        "next_attempt_at": now,
        "broadcast": broadcast,
        "needs_update": False,
        "revision": 1,
        "claimed_revision": 0,
    }
    return insert(n).values(values).returning(*n.c)


def _join(
    current: Row[Any], notices: tuple[Notice, ...], *, now: float, broadcast: bool
) -> ReturningUpdate[Any]:
    """Fold into the current row; a posted one (`sent`) is to be edited, due now. The
    UPDATE reads the status itself, so a send that finishes meanwhile is seen."""
    posted = n.c.status == "sent"
    values: dict[str, Any] = {
        "notices": dump_notices(fold_notices(load_notices(current.notices), notices)),
        "revision": n.c.revision + 1,
        "needs_update": posted | n.c.needs_update,
        "next_attempt_at": case((posted, now), else_=n.c.next_attempt_at),
    }
    if broadcast:
        values["broadcast"] = True
    return update(n).where(n.c.id == current.id).values(values).returning(*n.c)


def _claimed(row: Row[Any]) -> Notification:
    """A claimed row; `extra["unsure_since"]` when its last post may have reached Slack."""
    claimed = _notification(row)
    error = row.last_error or ""
    _, marked, since = error.rpartition(UNSURE)
    if marked and row.ts is None:
        with contextlib.suppress(ValueError):
            claimed.extra["unsure_since"] = str(float(since))
    return claimed


def _notification(row: Row[Any]) -> Notification:
    return Notification(
        id=int(row.id),
        follow_id=int(row.follow_id),
        channel_id=row.channel_id,
        display_id=int(row.display_id),
        notices=load_notices(row.notices),
        status=row.status,
        attempts=int(row.attempts),
        first_at=float(row.first_at),
        ts=row.ts,
        thread_ts=row.thread_ts,
        broadcast=bool(row.broadcast),
        needs_update=bool(row.needs_update),
        claimed_at=row.claimed_at,
        extra={},
    )
