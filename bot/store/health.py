"""What `pivotal-bot check` says about the database: reachable, how fast, migrations, backlog."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from bot.lookup.durable import StoreUnavailable
from bot.store.database import Database
from bot.store.inbox import SqlInbox


@dataclass(frozen=True)
class DatabaseStatus:
    display_url: str
    dialect: str
    reachable: bool
    latency_ms: float | None = None
    migrations_current: bool | None = None
    inbox_pending: int | None = None  # webhook events recorded but not applied yet
    inbox_oldest_seconds: float | None = None


async def database_status(url: str, *, timeout: float = 3.0) -> DatabaseStatus:
    """Ping the database and read its schema version and inbox backlog; never migrates."""
    database = Database(url, connect_timeout=timeout)
    try:
        latency = await database.ping(timeout=timeout)
        if latency is None:
            return DatabaseStatus(database.display_url, database.dialect, False)
        current = await database.migrations_current(timeout=timeout)
        pending = oldest = None
        if current:
            with contextlib.suppress(StoreUnavailable):
                pending, oldest = await SqlInbox(database).pending()
        return DatabaseStatus(database.display_url, database.dialect, True, latency * 1000,
                              current, pending, oldest)  # fmt: skip
    finally:
        await database.aclose()
