"""Database: migrations from empty (twice), the schema they build, ping, unreachable databases."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.store.database import Database, DatabaseUnavailable
from bot.store.schema import metadata
from tests.redis_server import free_port
from tests.store.conftest import BACKENDS, fresh_url

TABLES = {"webhook_inbox", "customer_signals", "health_scores", "alembic_version"}


@pytest.mark.parametrize("kind", BACKENDS)
async def test_migrations_build_the_schema_from_empty_and_run_again_harmlessly(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = Database(fresh_url(kind, request, tmp_path))
    try:
        assert await db.migrations_current() is False
        await db.migrate()
        assert await db.migrations_current() is True
        await db.migrate()  # a second replica, or a restart
        async with db.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert tables >= TABLES
        assert [tuple(v) for v in versions] == [("0002",)]  # the newest migration
        assert await db.migrations_current() is True
    finally:
        await db.aclose()


async def test_the_migrations_build_what_the_tables_describe(database: Database) -> None:
    await database.migrate()
    async with database.connect() as conn:
        diffs = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), metadata)
        )
    assert diffs == []


async def test_ping_says_how_long_a_query_took(database: Database) -> None:
    latency = await database.ping()
    assert latency is not None
    assert 0 < latency < 1.0


def test_what_each_url_becomes(tmp_path: Path) -> None:
    sqlite = Database(f"sqlite:///{tmp_path / 'x.db'}")
    postgres = Database("postgres://bot:s3cret@db.example.com:5432/bot")
    assert (sqlite.dialect, sqlite.shared) == ("sqlite", False)
    assert (postgres.dialect, postgres.shared) == ("postgresql", True)
    assert postgres.display_url == (
        "postgresql+psycopg://bot:***@db.example.com:5432/bot?sslmode=require"
    )
    assert "s3cret" not in repr(postgres)
    with pytest.raises(ValueError, match="PostgreSQL or SQLite"):
        Database("mysql://root@localhost/bot")


async def test_a_refused_connection_is_unavailable_at_once() -> None:
    db = Database(f"postgresql://bot:s3cret@127.0.0.1:{free_port()}/bot")
    started = time.monotonic()
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            await db.migrate()
        assert await db.ping() is None
        assert await db.migrations_current() is None
    finally:
        await db.aclose()
    assert time.monotonic() - started < 1.0
    assert "s3cret" not in str(caught.value)
    assert "postgresql+psycopg://bot:***@127.0.0.1" in str(caught.value)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


async def test_a_silent_server_is_unavailable_within_the_connect_timeout(silent_port: int) -> None:
    db = Database(f"postgresql://bot@127.0.0.1:{silent_port}/bot", connect_timeout=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(DatabaseUnavailable, match="cannot connect"):
            await db.migrate()
        assert time.monotonic() - started < 1.0
        assert await db.ping(timeout=0.2) is None
    finally:
        await db.aclose()
    assert time.monotonic() - started < 1.5


async def test_a_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'missing-folder' / 'bot.db'}")
    try:
        with pytest.raises(DatabaseUnavailable, match="missing-folder"):
            await db.migrate()
        assert await db.ping() is None
    finally:
        await db.aclose()
    # aiosqlite stops a failed connection's thread through this loop: let it land first.
    await asyncio.sleep(0.05)
