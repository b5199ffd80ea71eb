"""The whole local stack: sandbox Pivotal, fake Slack, and the real bot under uvicorn."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from bot.app import Deps, build_deps, create_app
from bot.asgi import BotASGI
from bot.config import Settings, settings_from
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.slack.driver import SlackDriver
from bot.sandbox.slack.server import FakeSlack
from bot.slack.deps import Lookup

SIGNING_SECRET = "sandbox-signing-secret-5f1c0e6b9a"
BOT_TOKEN = "xoxb-sandbox-bot-token-77c1d2e3f4"
API_KEY = "pivotal_test_sandbox"
APP_URL = "https://my.pivotal.app"


@dataclass
class LocalStack:
    pivotal: SandboxPivotal
    slack: FakeSlack
    deps: Deps
    driver: SlackDriver
    url: str

    async def wait_ready(self, timeout: float = 10.0) -> None:
        if not await self.deps.directory.wait_ready(timeout):
            raise TimeoutError("the directory walk did not finish")
        await self.deps.onboardings.wait_walked(timeout)  # the cards' onboarding lines

    async def settle(self, timeout: float = 10.0) -> bool:
        """Wait until the work the bot's acks started has ended; False if some outlasted it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.deps.inflight.tasks:  # finished work may have started more
            remaining = deadline - loop.time()
            if remaining <= 0 or await self.deps.inflight.drain(remaining):
                return False
        return True


def stack_settings(pivotal_url: str, slack_url: str, **overrides: Any) -> Settings:
    """Settings pointing the bot at the local fakes, from arguments only; `overrides` win."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "pivotal_api_key": API_KEY,
        "pivotal_api_url": pivotal_url,
        "pivotal_app_url": APP_URL,
        "slack_api_url": slack_url,
        "hubspot_portal_id": "4455667",
        "intercom_app_id": "ab12cd34",
    }
    values.update(overrides)
    return settings_from(**values)


def _loopback_socket(port: int = 0) -> socket.socket:
    # IPPROTO_TCP explicitly: with protocol 0 asyncio does not set TCP_NODELAY on accepted
    # connections, and keep-alive requests then stall ~40 ms on delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@asynccontextmanager
async def local_stack(
    *,
    pivotal: SandboxPivotal | None = None,
    wait_ready: bool = True,
    port: int = 0,
    timer: Callable[[], float] | None = None,
    lookup: Callable[[Lookup], Lookup] | None = None,
    **overrides: Any,
) -> AsyncIterator[LocalStack]:
    """Start everything on loopback, yield it, and stop it all again.

    `timer` is the clock copies age by (tests skip it forward); `lookup` wraps the lookup
    the listeners get (tests make it fail); `overrides` are settings.
    """
    pivotal = pivotal or SandboxPivotal()
    slack = FakeSlack()
    settings = stack_settings(await pivotal.start(), await slack.start(), **overrides)
    deps = build_deps(settings, timer=timer)
    if lookup is not None:
        deps.lookup = lookup(deps.lookup)
    sock = _loopback_socket(port)
    config = uvicorn.Config(
        BotASGI(create_app(deps), deps), lifespan="on", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.005)
        host, bound = sock.getsockname()
        url = f"http://{host}:{bound}"
        secret = settings.slack_signing_secret
        async with httpx.AsyncClient(timeout=15) as http:
            driver = SlackDriver(url, secret.get_secret_value() if secret else "", slack, http)
            stack = LocalStack(pivotal, slack, deps, driver, url)
            if wait_ready:
                await stack.wait_ready()
            yield stack
    finally:
        server.should_exit = True
        await serving
        sock.close()
        await slack.stop()
        await pivotal.stop()
