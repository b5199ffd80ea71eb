"""A real PostgreSQL for tests: a throwaway cluster on a free port, no fsync, gone at exit."""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import free_port

MISSING = (
    "PostgreSQL is not installed: run `make test` as root to install it, or "
    "`apt-get install postgresql` (Debian/Ubuntu) / `brew install postgresql` (macOS)"
)
NO_USER = (
    "initdb and pg_ctl refuse to run as root, and there is no `postgres` user to run them as: "
    "install Debian's postgresql package (it adds one) or `useradd --system postgres`"
)
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def postgres_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: pg_config's, Debian's versioned one, or the PATH's."""
    candidates: list[str] = []
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, check=True)
        candidates.append(out.stdout.decode().strip())
    debian = glob.glob("/usr/lib/postgresql/*/bin")  # /usr/lib/postgresql/15/bin: newest first
    candidates += sorted(debian, key=lambda p: _version(Path(p).parent.name), reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(str(Path(initdb).resolve().parent))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


class PostgresServer:
    """One cluster on 127.0.0.1:`port`, run as the `postgres` user when we are root."""

    def __init__(self, bindir: Path, port: int, workdir: Path):
        self.bindir = bindir
        self.port = port
        self.workdir = workdir
        self.data = workdir / "data"
        self.running = False
        self._databases = 0

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:  # initdb and pg_ctl refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, timeout=60)
        if done.returncode != 0:
            log = (self.workdir / "log").read_text() if (self.workdir / "log").exists() else ""
            raise RuntimeError(f"{tool} failed: {done.stderr.decode()}{done.stdout.decode()}{log}")

    def start(self) -> None:
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--no-sync")  # fmt: skip
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 {FAST}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "log"), "-w",
                  "-t", "30", "-o", options, "start")  # fmt: skip
        self.running = True

    def stop(self) -> None:
        """Stop at once (nothing here is worth a clean shutdown) and forget the files."""
        if self.running:
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.running = False
        shutil.rmtree(self.workdir, ignore_errors=True)

    def create_database(self, prefix: str = "test") -> str:
        """A new, empty database; its URL."""
        self._databases += 1
        name = f"{prefix}_{self._databases}"
        self.sql(f'CREATE DATABASE "{name}"', autocommit=True)
        return self.url_for(name)

    def truncate(self, url: str) -> None:
        """Empty every table but Alembic's in the database at `url`; ids start from 1 again."""
        tables = self.sql(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'",
            url=url,
        )
        if tables:
            names = ", ".join(row[0] for row in tables)
            self.sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE", url=url)

    def sql(
        self, statement: str, *, url: str | None = None, autocommit: bool = False
    ) -> list[tuple[object, ...]]:
        """Run one statement with a plain psycopg connection; the rows it returned."""
        import psycopg

        dsn = (url or self.url).replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=autocommit, connect_timeout=5) as conn:
            cursor = conn.execute(statement)
            return list(cursor.fetchall()) if cursor.description else []


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.fail(MISSING, pytrace=False)  # with CI=true or without: never a silent skip
    if os.geteuid() == 0 and not _has_user("postgres"):
        pytest.fail(NO_USER, pytrace=False)
    workdir = Path(tempfile.mkdtemp(prefix="pivotal-bot-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
    server = PostgresServer(bindir, free_port(), workdir)
    atexit.register(server.stop)  # also when the session is interrupted
    try:
        server.start()
        yield server
    finally:
        server.stop()
        atexit.unregister(server.stop)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL for the session, started on first use."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """postgresql+psycopg://postgres@127.0.0.1:PORT/postgres"""
    return postgres_server.url
