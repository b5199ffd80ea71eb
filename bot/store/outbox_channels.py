"""The outbox's per-channel and per-day rows in SQL: snoozes, pacing, digests; notices as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Double, func, literal, select
from sqlalchemy.sql import ColumnElement

from bot.follows.model import Follow, Notice
from bot.store.database import Database
from bot.store.schema import channel_pace, digest_items, digest_runs, follows, snoozes

KEPT_ONCE = [digest_items.c.follow_id, digest_items.c.event_key]


def utc_day(at: float) -> str:
    """The UTC date (`YYYY-MM-DD`) of epoch seconds: a notification's day, for its thread."""
    return datetime.fromtimestamp(at, tz=UTC).date().isoformat()


def fold_notices(kept: Iterable[Notice], new: Iterable[Notice]) -> tuple[Notice, ...]:
    """`new` joins `kept`: a kind told again keeps its first `before` and takes the last
    `after` (health 72 → 58, then 58 → 50, reads 72 → 50); a new kind is added at the end."""
    merged = list(kept)
    for notice in new:
        same = next((n for n, old in enumerate(merged) if old.kind == notice.kind), None)
        if same is None:
            merged.append(notice)
        else:
            merged[same] = Notice(notice.kind, merged[same].before, notice.after)
    return tuple(merged)


def dump_notices(notices: Iterable[Notice]) -> str:
    rows = [{"kind": n.kind, "before": n.before, "after": n.after} for n in notices]
    return json.dumps(rows, separators=(",", ":"))


def load_notices(stored: str) -> tuple[Notice, ...]:
    return tuple(Notice(n["kind"], n.get("before"), n.get("after")) for n in json.loads(stored))


def of_follow(follow_id: int, *values: Any) -> Any:
    """`SELECT id, values… FROM follows WHERE id = follow_id`: an insert from it writes
    nothing once the follow is gone (rather than breaking its foreign key)."""
    columns = [follows.c.id, *(literal(value) for value in values)]
    return select(*columns).where(follows.c.id == follow_id)


class ChannelOutbox:
    """Snoozes, per-channel pacing and daily digests: the part of SqlOutbox that is not
    the notifications themselves. Each method commits before it returns."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def snooze(self, channel_id: str, display_id: int, *, until: float) -> None:
        insert = self._db.insert(snoozes).values(
            channel_id=channel_id, display_id=display_id, until=until
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[snoozes.c.channel_id, snoozes.c.display_id],
            set_={"until": insert.excluded.until},
        )
        async with self._db.begin() as conn:
            await conn.execute(upsert)

    async def snoozed(self, channel_id: str, display_id: int, *, now: float) -> bool:
        stmt = select(snoozes.c.until).where(
            snoozes.c.channel_id == channel_id,
            snoozes.c.display_id == display_id,
            snoozes.c.until > now,
        )
        async with self._db.connect() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def snoozed_in(self, display_id: int, *, now: float) -> frozenset[str]:
        stmt = select(snoozes.c.channel_id).where(
            snoozes.c.display_id == display_id, snoozes.c.until > now
        )
        async with self._db.connect() as conn:
            return frozenset(str(row.channel_id) for row in (await conn.execute(stmt)).all())

    async def digest_add(
        self, follow: Follow, day: str, display_id: int, event_key: str, notices: tuple[Notice, ...]
    ) -> bool:
        """False too when the follow is gone."""
        item = of_follow(follow.id, day, display_id, event_key, dump_notices(notices))
        stmt = (
            self._db.insert(digest_items)
            .from_select(["follow_id", "day", "display_id", "event_key", "notices"], item)
            .on_conflict_do_nothing(index_elements=KEPT_ONCE)
            .returning(digest_items.c.id)
        )
        async with self._db.begin() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def digest_claim(
        self, follow_id: int, day: str
    ) -> list[tuple[int, tuple[Notice, ...]]] | None:
        """Customers in the order their first change was kept; None too when the follow is gone."""
        run = (
            self._db.insert(digest_runs)
            .from_select(["follow_id", "day"], of_follow(follow_id, day))
            .on_conflict_do_nothing(index_elements=[digest_runs.c.follow_id, digest_runs.c.day])
            .returning(digest_runs.c.follow_id)
        )
        items = (
            select(digest_items.c.display_id, digest_items.c.notices)
            .where(digest_items.c.follow_id == follow_id, digest_items.c.day == day)
            .order_by(digest_items.c.id)
        )
        async with self._db.begin() as conn:  # the insert first: SQLite takes its write lock
            if (await conn.execute(run)).first() is None:
                return None
            rows = (await conn.execute(items)).all()
        per_customer: dict[int, tuple[Notice, ...]] = {}
        for row in rows:
            display_id = int(row.display_id)
            kept = per_customer.get(display_id, ())
            per_customer[display_id] = fold_notices(kept, load_notices(row.notices))
        return list(per_customer.items())

    async def digests_owed(self) -> list[tuple[int, str]]:
        """Distinct (follow, day) of kept changes whose digest no claim has taken yet."""
        taken = (
            select(digest_runs.c.follow_id)
            .where(
                digest_runs.c.follow_id == digest_items.c.follow_id,
                digest_runs.c.day == digest_items.c.day,
            )
            .exists()
        )
        stmt = (
            select(digest_items.c.follow_id, digest_items.c.day)
            .where(~taken)
            .distinct()
            .order_by(digest_items.c.day, digest_items.c.follow_id)
        )
        async with self._db.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [(int(row.follow_id), str(row.day)) for row in rows]

    async def pace(self, channel_id: str, *, now: float, gap_seconds: float) -> float:
        """One upsert: the turn starts at the latest of the channel's next free moment, its
        hold and `now`; the next free moment moves to that turn plus `gap_seconds`."""
        insert = self._db.insert(channel_pace).values(
            channel_id=channel_id, next_allowed_at=now + gap_seconds, held_until=now
        )
        turn = self._greatest(channel_pace.c.next_allowed_at, channel_pace.c.held_until, now)
        upsert = insert.on_conflict_do_update(
            index_elements=[channel_pace.c.channel_id],
            set_={"next_allowed_at": turn + gap_seconds},
        ).returning(channel_pace.c.next_allowed_at)
        async with self._db.begin() as conn:
            next_allowed_at = (await conn.execute(upsert)).scalar_one()
        return max(0.0, round(float(next_allowed_at) - gap_seconds - now, 6))

    async def hold_channel(self, channel_id: str, *, until: float) -> None:
        insert = self._db.insert(channel_pace).values(
            channel_id=channel_id, next_allowed_at=until, held_until=until
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[channel_pace.c.channel_id],
            set_={"held_until": self._greatest(channel_pace.c.held_until, until)},
        )
        async with self._db.begin() as conn:
            await conn.execute(upsert)

    def _greatest(self, *values: ColumnElement[float] | float) -> ColumnElement[float]:
        """GREATEST on PostgreSQL; SQLite's many-argument max() is the same function."""
        args = [v if isinstance(v, ColumnElement) else literal(v, Double) for v in values]
        return func.greatest(*args) if self._db.shared else func.max(*args)
