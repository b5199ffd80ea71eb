"""A throwaway PostgreSQL for the bench: initdb on a free port, gone at the end.

Run as the `postgres` user when the bench runs as root (initdb and pg_ctl refuse root).
The cluster the test suite starts (tests/postgres_server.py), without pytest, and with
PostgreSQL's own durability settings (fsync, synchronous_commit) rather than the tests' fast
ones: what a commit before the 2xx costs is the figure measured here.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

MISSING = (
    "PostgreSQL is not installed: `make postgresql` as root installs it "
    "(or apt-get install postgresql / brew install postgresql)"
)


def postgres_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: pg_config's, Debian's versioned one, or the PATH's."""
    candidates: list[str] = []
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, check=True)
        candidates.append(out.stdout.decode().strip())
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(debian, key=lambda p: _version(Path(p).parent.name), reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(str(Path(initdb).resolve().parent))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Postgres:
    """One cluster on 127.0.0.1:`port` with its files in `workdir`."""

    def __init__(self, bindir: Path, workdir: Path):
        self.bindir, self.workdir = bindir, workdir
        self.port = _free_port()
        self.data = workdir / "data"
        self._databases = 0

    def url_for(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, timeout=60)
        if done.returncode != 0:
            log = self.workdir / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed: {done.stderr.decode()}{done.stdout.decode()}{tail}")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "log"), "-w",
                  "-t", "30", "-o", options, "start")  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self, prefix: str = "bench") -> str:
        """A new, empty database; its SQLAlchemy URL."""
        import psycopg

        self._databases += 1
        name = f"{prefix}_{self._databases}"
        dsn = self.url_for("postgres").replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    """A started cluster, stopped (immediately: nothing in it is kept) and deleted after."""
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError(MISSING)
    root = os.geteuid() == 0
    if root:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root needs a `postgres` user for initdb") from None
    workdir = Path(tempfile.mkdtemp(prefix="pivotal-bench-pg-"))
    if root:
        shutil.chown(workdir, "postgres")
    server = Postgres(bindir, workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
