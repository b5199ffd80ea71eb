"""The SQL database: an async engine for DATABASE_URL, its migrations, and a health probe.

SQLite (aiosqlite) is the embedded default, one process per file; PostgreSQL (psycopg 3)
is shared by replicas. Every failure to reach the database surfaces as
DatabaseUnavailable, and connecting never waits longer than `connect_timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Table, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.lookup.durable import StoreUnavailable
from bot.store.url import display_url, driver_url

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x70_69_76_6F_74_61_6C  # pg_advisory_lock key: one replica migrates at a time
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
# Connection trouble, not a bad statement: the caller may retry later or fall back.
UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout, TimeoutError, OSError)


class DatabaseUnavailable(StoreUnavailable):
    """The database could not be reached or used in time; the message hides the password."""


class Database:
    """One engine for DATABASE_URL; `migrate()` before use, `aclose()` at shutdown."""

    def __init__(self, url: str, *, connect_timeout: float = 3.0) -> None:
        self.url = driver_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError("DATABASE_URL must be a PostgreSQL or SQLite URL")
        self.shared = self.dialect == "postgresql"  # replicas share it; SQLite is one process's
        self.display_url = display_url(self.url)
        self.connect_timeout = connect_timeout
        self.engine: AsyncEngine = _engine(self.url, connect_timeout)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    def __repr__(self) -> str:
        return f"Database({self.display_url!r})"

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT with this dialect's ON CONFLICT clauses."""
        return postgresql.insert(table) if self.shared else sqlite.insert(table)

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection (bounded wait); connection trouble raises DatabaseUnavailable."""
        with self._unavailable("connect"):
            async with asyncio.timeout(self.connect_timeout):
                conn = await self.engine.connect()
        try:
            with self._unavailable("use"):
                yield conn
        finally:
            await conn.close()  # rolls back whatever was not committed

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A transaction, committed when the block ends (rolled back when it raises)."""
        async with self.connect() as conn, conn.begin():
            yield conn

    async def migrate(self) -> None:
        """Upgrade the schema to the newest migration (replicas take turns on PostgreSQL)."""
        async with self.connect() as conn, self._migration_lock(conn):
            await conn.run_sync(_upgrade)
            await conn.commit()

    async def migrations_current(self, *, timeout: float = 2.0) -> bool | None:
        """True when the schema is at the newest migration; None when unreachable."""
        try:
            async with asyncio.timeout(timeout), self.connect() as conn:
                return await conn.run_sync(_at_head)
        except (DatabaseUnavailable, TimeoutError):
            return None

    async def ping(self, *, timeout: float = 2.0) -> float | None:
        """Seconds a trivial query took, or None when the database did not answer in time."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout), self.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (DatabaseUnavailable, TimeoutError):
            return None
        return time.perf_counter() - started

    async def aclose(self) -> None:
        await self.engine.dispose()

    @contextlib.contextmanager
    def _unavailable(self, doing: str) -> Iterator[None]:
        try:
            yield
        except UNREACHABLE as exc:
            reason = type(exc).__name__
            raise DatabaseUnavailable(f"cannot {doing} {self.display_url}: {reason}") from exc

    @contextlib.asynccontextmanager
    async def _migration_lock(self, conn: AsyncConnection) -> AsyncIterator[None]:
        if not self.shared:
            yield  # SQLite: one process per file, and its writer lock serialises anyway
            return
        await conn.execute(select(func.pg_advisory_lock(MIGRATION_LOCK)))
        await conn.commit()  # a session lock: it outlives the transaction
        try:
            yield
        except BaseException:  # cancellation too: the lock must not outlive a failed upgrade
            await conn.invalidate()  # closing the session is what releases its lock
            raise
        await conn.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK)))
        await conn.commit()


def _engine(url: URL, connect_timeout: float) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        return create_async_engine(url, connect_args={"timeout": 5.0})
    return create_async_engine(
        url,
        pool_size=5,
        max_overflow=5,
        pool_pre_ping=True,
        pool_timeout=connect_timeout,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": max(2, math.ceil(connect_timeout)),
            "application_name": "pivotal-bot",
        },
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code: the package's scripts, our connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "head")


@functools.cache
def _heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(_alembic_config()).get_heads())


def _at_head(connection: Connection) -> bool:
    current = MigrationContext.configure(connection).get_current_heads()
    return frozenset(current) == _heads()
