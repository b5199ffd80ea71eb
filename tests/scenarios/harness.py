"""Scenario tests drive the real local stack (bot/sandbox/stack.py) over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.sandbox.slack.driver import SlackDriver
from bot.sandbox.stack import LocalStack, local_stack

DEFAULTS: dict[str, Any] = {"log_level": "DEBUG"}


class Clock:
    """Real time plus whatever a test skipped, so cached copies age without sleeping."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.time() + self.skipped

    def skip(self, seconds: float) -> None:
        self.skipped += seconds


class Harness(SlackDriver):
    """A SlackDriver that also exposes the stack's parts (pivotal, slack, deps, clock)."""

    def __init__(self, stack: LocalStack, clock: Clock):
        super().__init__(stack.url, stack.driver.secret, stack.slack, stack.driver.http)
        self.stack = stack
        self.pivotal = stack.pivotal
        self.deps = stack.deps
        self.clock = clock

    def expire_copies(self) -> None:
        """Age every cached copy past the cache TTL, so the next lookup asks Pivotal."""
        self.clock.skip(self.deps.settings.cache_ttl_seconds)

    async def wait_ready(self, timeout: float = 10.0) -> None:
        await self.stack.wait_ready(timeout)

    async def stop_background(self, name: str) -> None:
        """Stop one of the bot's background tasks (e.g. "notify", the sender) so a test can
        do its work by hand without racing it."""
        for task in self.deps.background:
            if task.get_name() == name:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


@asynccontextmanager
async def running_bot(**overrides: Any) -> AsyncIterator[Harness]:
    clock = Clock()
    async with local_stack(timer=clock, **{**DEFAULTS, **overrides}) as stack:
        yield Harness(stack, clock)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `condition()` holds (background work finished), at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.005)
