"""Orchestrator side of the child processes: start, read the ready line, stop, observe."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from benchmarks.child import cpu_seconds, rss_mb

ROOT = Path(__file__).resolve().parent.parent
_RUNS = itertools.count(1)
_DATABASES = itertools.count(1)


def scratch_database(folder: Path, name: str) -> str:
    """A DATABASE_URL for a new SQLite file in `folder` (the run's temporary folder).

    Every bot the bench starts gets one, so no run ever writes pivotal-bot.db where it
    was started (the bot's default when DATABASE_URL is unset).
    """
    return f"sqlite:///{folder.resolve() / f'{next(_DATABASES):02d}-{name}.db'}"


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    info: dict[str, Any]
    log: Path


async def spawn(name: str, args: list[str], *, log_dir: Path, timeout: float) -> Child:
    """Run `python -m args...` and wait (at most `timeout` s) for its JSON ready line."""
    log = log_dir / f"{name}.log"
    with log.open("ab") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", *args, cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
        )  # fmt: skip
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
    except TimeoutError:
        line = b""
    if not line:
        await _end(process, 1.0)
        raise RuntimeError(f"{name} did not start within {timeout:.0f} s; see {log}")
    return Child(name, process, json.loads(line), log)


async def stop(child: Child, timeout: float = 15.0) -> None:
    """Close its stdin (the stop signal), then kill it if it has not exited in `timeout` s."""
    await _end(child.process, timeout)


async def _end(process: asyncio.subprocess.Process, timeout: float) -> None:
    if process.stdin is not None and not process.stdin.is_closing():
        process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()


@dataclass
class FakesSpec:
    customers: int
    hidden: int = 0
    latency_ms: float = 150.0
    rate_limit: int = 60

    def args(self) -> list[str]:
        return ["benchmarks.fakes", "--customers", str(self.customers), "--hidden",
                str(self.hidden), "--latency-ms", str(self.latency_ms), "--rate-limit",
                str(self.rate_limit)]  # fmt: skip


@dataclass
class SubjectSpec:
    subject: str  # "bot" or "baseline"
    cache_ttl: float = 300.0
    directory_refresh: float = 600.0
    profile: Path | None = None
    database_url: str | None = None  # the bot's DATABASE_URL; `for_run` fills it in
    extra: list[str] = field(default_factory=list)

    def for_run(self, log_dir: Path, name: str) -> SubjectSpec:
        """This spec with a scratch SQLite file in `log_dir` when it names no database."""
        if self.subject != "bot" or self.database_url is not None:
            return self
        return replace(self, database_url=scratch_database(log_dir, name))

    def args(self, fakes: dict[str, Any]) -> list[str]:
        args = ["benchmarks.server", "--subject", self.subject,
                "--pivotal-url", fakes["pivotal_url"], "--slack-url", fakes["slack_url"],
                "--cache-ttl", str(self.cache_ttl),
                "--directory-refresh", str(self.directory_refresh)]  # fmt: skip
        if self.profile is not None:
            args += ["--profile", str(self.profile)]
        if self.database_url is not None:
            args += ["--database-url", self.database_url]
        return args + self.extra


@dataclass
class Target:
    """A running subject and its fakes, as the load side sees them."""

    subject: str
    url: str
    pid: int
    info: dict[str, Any]
    response_base: str
    control: httpx.AsyncClient
    closers: list[Callable[[], None]] = field(default_factory=list)  # run before it stops

    async def stats(self) -> dict[str, Any]:
        response = await self.control.get("/_sandbox/stats")
        response.raise_for_status()
        return dict(response.json())

    async def reveal(self, count: int) -> list[int]:
        """Create `count` held-back customers in the sandbox now; returns their display ids."""
        response = await self.control.post("/_sandbox/reveal", json={"count": count})
        response.raise_for_status()
        return list(response.json()["display_ids"])

    async def responses(self, after: int) -> tuple[list[dict[str, Any]], int]:
        response = await self.control.get("/_sandbox/responses", params={"after": after})
        response.raise_for_status()
        body = response.json()
        return list(body["posts"]), int(body["next"])

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


@asynccontextmanager
async def running(
    fakes: FakesSpec, subject: SubjectSpec, *, log_dir: Path, ready_timeout: float = 60.0
) -> AsyncIterator[Target]:
    """Fakes and subject started for one scenario, and both stopped after it."""
    name = f"{next(_RUNS):02d}-{subject.subject}"
    subject = subject.for_run(log_dir, name)
    pair = await spawn(f"{name}-fakes", fakes.args(), log_dir=log_dir, timeout=30)
    try:
        child = await spawn(name, subject.args(pair.info), log_dir=log_dir, timeout=ready_timeout)
        try:
            async with httpx.AsyncClient(base_url=pair.info["control_url"], timeout=30) as control:
                target = Target(subject.subject, child.info["url"], child.info["pid"],
                                child.info, pair.info["response_base"], control)  # fmt: skip
                try:
                    yield target
                finally:
                    for close in target.closers:
                        close()
        finally:
            await stop(child)
    finally:
        await stop(pair)
