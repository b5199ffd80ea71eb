"""What `pivotal-bot check` says about the database: reachable, how fast, migrations, backlog."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from bot.follows.store import OutboxStats
from bot.lookup.durable import StoreUnavailable
from bot.store.database import Database
from bot.store.follows import SqlFollows
from bot.store.inbox import SqlInbox
from bot.store.outbox import SqlOutbox


@dataclass(frozen=True)
class DatabaseStatus:
    display_url: str
    dialect: str
    reachable: bool
    exists: bool = True  # False: a SQLite file not created yet (the bot creates it)
    latency_ms: float | None = None
    migrations_current: bool | None = None
    inbox_pending: int | None = None  # webhook events recorded but not applied yet
    inbox_oldest_seconds: float | None = None
    follows: dict[str, int] | None = None  # by kind (customer, segment, personal, digest, paused)
    notifications: OutboxStats | None = None


async def database_status(url: str, *, timeout: float = 3.0) -> DatabaseStatus:
    """Ping the database and read its schema version and inbox backlog; never migrates."""
    database = Database(url, connect_timeout=timeout)
    path = database.url.database
    if database.dialect == "sqlite" and path and not await asyncio.to_thread(Path(path).exists):
        await database.aclose()  # connecting would create the file: leave that to the bot
        return DatabaseStatus(database.display_url, database.dialect, True, exists=False)
    try:
        latency = await database.ping(timeout=timeout)
        if latency is None:
            return DatabaseStatus(database.display_url, database.dialect, False)
        current = await database.migrations_current(timeout=timeout)
        pending = oldest = follows = notifications = None
        if current:
            with contextlib.suppress(StoreUnavailable):
                pending, oldest = await SqlInbox(database).pending()
                follows = await SqlFollows(database).counts()
                notifications = await SqlOutbox(database).stats(now=time.time())
        return DatabaseStatus(
            database.display_url,
            database.dialect,
            True,
            latency_ms=latency * 1000,
            migrations_current=current,
            inbox_pending=pending,
            inbox_oldest_seconds=oldest,
            follows=follows,
            notifications=notifications,
        )
    finally:
        await database.aclose()
