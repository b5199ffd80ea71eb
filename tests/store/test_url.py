"""DATABASE_URL: what is wrong with one (never echoing it), the driver URL, the logged form."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config_urls import database_url_problem
from bot.store.url import display_url, driver_url, is_local_host

SECRET = "s3cret"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("postgres://bot:s3cret@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d8f", None),
        ("postgresql://bot:s3cret@localhost/bot", None),
        ("postgresql+psycopg2://bot@db.internal:6432/bot?sslmode=verify-full", None),
        ("postgresql+asyncpg://bot@10.0.0.5/bot", None),
        ("postgresql://bot@/bot?host=/run/postgresql", None),
        ("sqlite:///pivotal-bot.db", None),
        ("sqlite:////var/lib/pivotal-bot/bot.db", None),
        ("  sqlite+aiosqlite:///bot.db  ", None),
        ("", "is empty"),
        ("   ", "is empty"),
        ("pivotal-bot.db", "must be postgresql://"),
        ("mysql://root:s3cret@localhost/bot", "must start with postgresql://"),
        ("postgresql+pg8000://bot:s3cret@host/bot", "names a driver this bot does not have"),
        ("postgres://bot:s3cret@:5432/bot", "must name a host"),
        ("postgres:///bot", "must name a host"),
        ("postgres://bot:s3cret@host:port/bot", "port that is not a number"),
        ("postgres://bot:s3c#ret@host:5432/bot", "percent-encoded"),
        ("postgres://bot:s3cret@host:0/bot", "the port must be 1-65535"),
        ("postgres://bot:s3cret@host/bot?sslmode=always", "sslmode must be one of"),
        ("postgres://bot:s3cret@host/bot?sslmode", "malformed query"),
        ("postgres://bot:s3cret@ho st/bot", "must not contain spaces"),
        ("sqlite://", "must name a file"),
        ("sqlite:///", "must name a file"),
        ("sqlite:///:memory:", "in-memory"),
        ("sqlite://somehost/bot.db", "has no host"),
        ("sqlite:///data/", "names a folder"),
    ],
)
def test_database_url_problem(raw: str, says: str | None) -> None:
    problem = database_url_problem(raw)
    if says is None:
        assert problem is None
    else:
        assert problem is not None
        assert says in problem
        assert SECRET not in problem and "\n" not in problem


@pytest.mark.parametrize(
    ("raw", "becomes"),
    [
        (
            "postgres://bot:s3cret@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d8f",
            "postgresql+psycopg://bot:s3cret@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d8f"
            "?sslmode=require",
        ),
        ("postgresql://bot@db.internal/bot", "postgresql+psycopg://bot@db.internal/bot?sslmode=require"),
        ("postgresql+psycopg2://bot@localhost/bot", "postgresql+psycopg://bot@localhost/bot"),
        ("postgresql+asyncpg://bot@127.0.0.1:5433/bot", "postgresql+psycopg://bot@127.0.0.1:5433/bot"),
        ("postgresql://bot@[::1]/bot", "postgresql+psycopg://bot@[::1]/bot"),
        ("postgresql://bot@/bot", "postgresql+psycopg://bot@/bot"),
        ("postgresql://bot@/bot?host=/run/postgresql", "postgresql+psycopg://bot@/bot?host=%2Frun%2Fpostgresql"),
        ("postgres://bot@db.internal/bot?sslmode=disable", "postgresql+psycopg://bot@db.internal/bot?sslmode=disable"),
        ("postgresql+asyncpg://bot@db.internal/bot?ssl=true", "postgresql+psycopg://bot@db.internal/bot?sslmode=require"),
        ("postgresql+psycopg://bot@db.internal/bot", "postgresql+psycopg://bot@db.internal/bot?sslmode=require"),
        ("sqlite:///pivotal-bot.db", "sqlite+aiosqlite:///pivotal-bot.db"),
        ("sqlite:////var/lib/bot.db", "sqlite+aiosqlite:////var/lib/bot.db"),
        ("sqlite+aiosqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
    ],
)  # fmt: skip
def test_driver_url(raw: str, becomes: str) -> None:
    assert driver_url(raw).render_as_string(hide_password=False) == becomes


@pytest.mark.parametrize(
    ("host", "local"),
    [(None, True), ("localhost", True), ("127.0.0.1", True), ("127.3.2.1", True), ("::1", True),
     ("[::1]", True), ("/run/postgresql", True), ("db.internal", False), ("10.0.0.5", False),
     ("localhost.example.com", False)],
)  # fmt: skip
def test_is_local_host(host: str | None, local: bool) -> None:
    assert is_local_host(host) is local


def test_logs_never_show_the_password() -> None:
    raw = "postgres://bot:s3cret@db.example.com/bot"
    assert display_url(raw) == "postgres://bot:***@db.example.com/bot"
    assert display_url(driver_url(raw)) == (
        "postgresql+psycopg://bot:***@db.example.com/bot?sslmode=require"
    )


def test_checking_a_url_does_not_load_sqlalchemy() -> None:
    code = (
        "import sys; from bot.config_urls import database_url_problem; "
        "database_url_problem('postgres://h/db'); print('sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
