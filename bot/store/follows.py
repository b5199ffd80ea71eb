"""Follows in SQL: bot.follows.store.FollowStore, one row per (target, destination channel)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, case, delete, func, select, update
from sqlalchemy.sql import ColumnElement

from bot.follows.model import Destination, Follow, NewFollow, Target
from bot.store.database import Database
from bot.store.schema import follows, health_baselines, own_writes

MAX_TEXT_CHARS = 1000
OLDEST_FIRST = (follows.c.created_at, follows.c.id)
ACTIVE = follows.c.paused_reason.is_(None)


class SqlFollows:
    """bot.follows.store.FollowStore on a Database; each method commits before it returns."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, follow: NewFollow, *, now: float) -> tuple[Follow, bool]:
        insert = (
            self._db.insert(follows)
            .values(_row(follow, now))
            .on_conflict_do_nothing(index_elements=[follows.c.target_key, follows.c.channel_id])
            .returning(*follows.c)
        )
        again = (
            update(follows)
            .where(_same_target(follow))
            .values(
                kinds=_kinds_text(follow.kinds),
                digest=follow.digest,
                digest_hour=follow.digest_hour,
                timezone=follow.timezone,
                paused_reason=None,
            )
            .returning(*follows.c)
        )
        async with self._db.begin() as conn:  # the insert first: SQLite takes its write lock
            if (row := (await conn.execute(insert)).one_or_none()) is not None:
                return _follow(row), True
            return _follow((await conn.execute(again)).one()), False

    async def remove(self, follow_id: int) -> Follow | None:
        stmt = delete(follows).where(follows.c.id == follow_id).returning(*follows.c)
        async with self._db.begin() as conn:
            row = (await conn.execute(stmt)).one_or_none()
        return None if row is None else _follow(row)

    async def get(self, follow_id: int) -> Follow | None:
        return await self._one(follows.c.id == follow_id)

    async def find(self, target_key: str, channel_id: str) -> Follow | None:
        target, channel = follows.c.target_key == target_key, follows.c.channel_id == channel_id
        return await self._one(target, channel)

    async def of_customer(self, display_id: int) -> list[Follow]:
        return await self._list(follows.c.target_key == Target(display_id=display_id).key, ACTIVE)

    async def of_segments(self) -> list[Follow]:
        return await self._list(follows.c.target_key.startswith("segment:"), ACTIVE)

    async def digests(self) -> list[Follow]:
        return await self._list(follows.c.digest.is_(True), ACTIVE)

    async def in_channel(self, channel_id: str) -> list[Follow]:
        return await self._list(follows.c.channel_id == channel_id)

    async def of_user(self, user_id: str) -> list[Follow]:
        return await self._list(follows.c.user_id == user_id)

    async def pause(self, follow_id: int, reason: str) -> bool:
        return bool(await self._pause(reason, follows.c.id == follow_id))

    async def resume(self, follow_id: int) -> bool:
        stmt = (
            update(follows)
            .where(follows.c.id == follow_id, follows.c.paused_reason.is_not(None))
            .values(paused_reason=None)
            .returning(follows.c.id)
        )
        async with self._db.begin() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def paused(self, reason_prefix: str) -> list[Follow]:
        return await self._list(follows.c.paused_reason.startswith(reason_prefix, autoescape=True))

    async def created_by(self, user_id: str) -> list[Follow]:
        return await self._list(follows.c.created_by == user_id)

    async def pause_channel(self, channel_id: str, reason: str) -> list[Follow]:
        paused = await self._pause(reason, follows.c.channel_id == channel_id)
        return sorted(paused, key=lambda follow: (follow.created_at, follow.id))

    async def resume_channel(self, channel_id: str, *, reasons: tuple[str, ...]) -> int:
        stmt = (
            update(follows)
            .where(follows.c.channel_id == channel_id, follows.c.paused_reason.in_(reasons))
            .values(paused_reason=None)
            .returning(follows.c.id)
        )
        async with self._db.begin() as conn:
            return len((await conn.execute(stmt)).all())

    async def remove_channel(self, channel_id: str) -> int:
        return await self._delete(follows.c.channel_id == channel_id)

    async def remove_team(self, team_id: str | None) -> int:
        team = follows.c.team_id
        return await self._delete(team.is_(None) if team_id is None else team == team_id)

    async def noted(self, follow_id: int, *, at: float, error: str | None = None) -> None:
        values: dict[str, Any] = (
            {"last_notified_at": at, "last_error": None}
            if error is None
            else {"last_error": error[:MAX_TEXT_CHARS]}
        )
        async with self._db.begin() as conn:
            await conn.execute(update(follows).where(follows.c.id == follow_id).values(values))

    async def counts(self) -> dict[str, int]:
        def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        stmt = select(
            count(follows.c.target_key.startswith("customer:")).label("customer"),
            count(follows.c.target_key.startswith("segment:")).label("segment"),
            count(follows.c.user_id.is_not(None)).label("personal"),
            count(follows.c.digest.is_(True)).label("digest"),
            count(follows.c.paused_reason.is_not(None)).label("paused"),
        )
        async with self._db.connect() as conn:
            row = (await conn.execute(stmt)).one()
        return {name: int(value) for name, value in row._mapping.items()}

    async def health_baseline(self, display_id: int) -> int | None:
        stmt = select(health_baselines.c.score).where(health_baselines.c.display_id == display_id)
        async with self._db.connect() as conn:
            score = (await conn.execute(stmt)).scalar_one_or_none()
        return None if score is None else int(score)

    async def set_health_baseline(self, display_id: int, score: int) -> None:
        insert = self._db.insert(health_baselines).values(display_id=display_id, score=score)
        upsert = insert.on_conflict_do_update(
            index_elements=[health_baselines.c.display_id], set_={"score": insert.excluded.score}
        )
        async with self._db.begin() as conn:
            await conn.execute(upsert)

    async def wrote(self, display_id: int, channel_id: str, *, until: float) -> None:
        insert = self._db.insert(own_writes).values(
            display_id=display_id, channel_id=channel_id, until=until
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[own_writes.c.display_id, own_writes.c.channel_id],
            set_={"until": insert.excluded.until},
        )
        async with self._db.begin() as conn:
            await conn.execute(upsert)

    async def written_by(self, display_id: int, *, now: float) -> frozenset[str]:
        stmt = select(own_writes.c.channel_id).where(
            own_writes.c.display_id == display_id, own_writes.c.until > now
        )
        async with self._db.connect() as conn:
            return frozenset((await conn.execute(stmt)).scalars())

    async def _one(self, *where: ColumnElement[bool]) -> Follow | None:
        async with self._db.connect() as conn:
            row = (await conn.execute(select(follows).where(*where))).one_or_none()
        return None if row is None else _follow(row)

    async def _list(self, *where: ColumnElement[bool]) -> list[Follow]:
        stmt = select(follows).where(*where).order_by(*OLDEST_FIRST)
        async with self._db.connect() as conn:
            return [_follow(row) for row in (await conn.execute(stmt)).all()]

    async def _pause(self, reason: str, where: ColumnElement[bool]) -> list[Follow]:
        stmt = (
            update(follows)
            .where(where, ACTIVE)
            .values(paused_reason=reason[:MAX_TEXT_CHARS])
            .returning(*follows.c)
        )
        async with self._db.begin() as conn:
            return [_follow(row) for row in (await conn.execute(stmt)).all()]

    async def _delete(self, where: ColumnElement[bool]) -> int:
        stmt = delete(follows).where(where).returning(follows.c.id)
        async with self._db.begin() as conn:
            return len((await conn.execute(stmt)).all())


def _same_target(follow: NewFollow) -> ColumnElement[bool]:
    channel = follow.destination.channel_id
    return (follows.c.target_key == follow.target.key) & (follows.c.channel_id == channel)


def _kinds_text(kinds: frozenset[str]) -> str:
    return ",".join(sorted(kinds))


def _row(follow: NewFollow, now: float) -> dict[str, Any]:
    return {
        "target_key": follow.target.key,
        "channel_id": follow.destination.channel_id,
        "user_id": follow.destination.user_id,
        "created_by": follow.created_by,
        "kinds": _kinds_text(follow.kinds),
        "digest": follow.digest,
        "digest_hour": follow.digest_hour,
        "timezone": follow.timezone,
        "team_id": follow.team_id,
        "created_at": now,
    }


def _follow(row: Row[Any]) -> Follow:
    return Follow(
        target=Target.from_key(row.target_key),
        destination=Destination(row.channel_id, row.user_id),
        created_by=row.created_by,
        kinds=frozenset(kind for kind in row.kinds.split(",") if kind),
        digest=bool(row.digest),
        digest_hour=int(row.digest_hour),
        timezone=row.timezone,
        team_id=row.team_id,
        id=int(row.id),
        created_at=float(row.created_at),
        paused_reason=row.paused_reason,
        last_notified_at=row.last_notified_at,
        last_error=row.last_error,
    )
