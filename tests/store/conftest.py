"""Store fixtures: every contract test runs on a SQLite file and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store.database import Database
from tests.postgres_server import PostgresServer

BACKENDS = ["sqlite", "postgresql"]


class Clock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def migrated(url: str) -> None:
    database = Database(url)
    try:
        await database.migrate()
    finally:
        await database.aclose()


def fresh_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of `kind`, never migrated."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database("fresh")


@pytest.fixture(scope="session")
def store_postgres(postgres_server: PostgresServer) -> str:
    """One PostgreSQL database for the store tests, built once through the migrations."""
    url = postgres_server.create_database("store")
    asyncio.run(migrated(url))
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a new SQLite file, or the PostgreSQL one truncated."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bot.db'}"
        asyncio.run(migrated(url))
        return url
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = request.getfixturevalue("store_postgres")
    server.truncate(url)
    return str(url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.aclose()


@pytest.fixture
def clock() -> Clock:
    return Clock()
