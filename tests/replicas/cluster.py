"""Several real `pivotal-bot serve` processes against one sandbox Pivotal, FakeSlack, Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.slack.driver import SlackDriver
from bot.sandbox.slack.server import FakeSlack
from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "replica-test-signing-secret"
API_KEY = "pivotal_test_sandbox"


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll `check` until it is true, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout} s")
        await asyncio.sleep(0.02)


@dataclass
class Replica:
    name: str
    port: int
    proc: asyncio.subprocess.Process
    driver: SlackDriver
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return "".join(self.output)


@dataclass
class Cluster:
    pivotal: SandboxPivotal
    slack: FakeSlack
    http: httpx.AsyncClient
    redis_url: str | None
    env: dict[str, str]
    workdir: Path
    replicas: list[Replica] = field(default_factory=list)
    _pumps: list[asyncio.Task[None]] = field(default_factory=list)

    async def start_replica(self, *, ready: bool = True, **env: str) -> Replica:
        port = free_port()
        name = f"r{len(self.replicas) + 1}"
        # One SQLite file per process unless the test names a database (a shared one).
        own = f"sqlite:///{self.workdir / name}.db"
        values = {"DATABASE_URL": own, **self.env, "PORT": str(port), **env}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", env=values, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        driver = SlackDriver(f"http://127.0.0.1:{port}", SECRET, self.slack, self.http)
        replica = Replica(name, port, proc, driver)
        self.replicas.append(replica)
        self._pumps.append(asyncio.create_task(_pump(proc, replica.output)))
        await until(lambda: self._answers(replica, "/healthz"), 30, f"{replica.name} not up")
        if ready:
            await until(lambda: self._answers(replica, "/readyz"), 30, f"{replica.name} not ready")
        return replica

    async def _answers(self, replica: Replica, path: str) -> bool:
        if replica.proc.returncode is not None:
            raise RuntimeError(f"{replica.name} exited:\n{replica.log()}")
        try:
            return (await self.http.get(replica.url + path)).status_code == 200
        except httpx.TransportError:
            return False

    async def metrics(self, replica: Replica) -> str:
        return (await self.http.get(replica.url + "/metrics")).text

    async def stop(self) -> None:
        for replica in self.replicas:
            if replica.proc.returncode is None:
                replica.proc.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            try:
                await asyncio.wait_for(replica.proc.wait(), 20)
            except TimeoutError:
                replica.proc.kill()
                await replica.proc.wait()
        await asyncio.gather(*self._pumps, return_exceptions=True)


async def _pump(proc: asyncio.subprocess.Process, into: list[str]) -> None:
    assert proc.stdout is not None
    async for line in proc.stdout:
        into.append(line.decode(errors="replace"))


def statuses(pivotal: SandboxPivotal) -> list[int | None]:
    return [r.status for r in pivotal.requests]


@asynccontextmanager
async def cluster(
    redis_url: str | None, *, pivotal: SandboxPivotal | None = None, **env: str
) -> AsyncIterator[Cluster]:
    """Sandbox Pivotal and FakeSlack in this process; replicas are added with start_replica."""
    pivotal = pivotal or SandboxPivotal()
    slack = FakeSlack()
    async with AsyncExitStack() as stack:
        pivotal_url = await pivotal.start()
        stack.push_async_callback(pivotal.stop)
        slack_url = await slack.start()
        stack.push_async_callback(slack.stop)
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=15))
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIVOTAL_"))}
        for name in ("DATABASE_URL", "DYNO"):
            base.pop(name, None)
        base.update({
            "SLACK_BOT_TOKEN": "xoxb-replica-test", "SLACK_SIGNING_SECRET": SECRET,
            "PIVOTAL_API_KEY": API_KEY, "PIVOTAL_API_URL": pivotal_url,
            "SLACK_API_URL": slack_url, "HOST": "127.0.0.1", "LOG_LEVEL": "INFO",
            **env,
        })  # fmt: skip
        base.pop("REDIS_URL", None)
        if redis_url:
            base["REDIS_URL"] = redis_url
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="replicas-")))
        group = Cluster(pivotal, slack, http, redis_url, base, workdir)
        stack.push_async_callback(group.stop)
        yield group


def answered(message: dict[str, Any]) -> bool:
    return bool(message.get("blocks") or message.get("text"))
