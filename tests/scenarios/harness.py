"""Scenario tests drive the real local stack (bot/sandbox/stack.py) over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.sandbox.driver import SlackDriver
from bot.sandbox.stack import LocalStack, local_stack

DEFAULTS: dict[str, Any] = {"log_level": "DEBUG"}


class Harness(SlackDriver):
    """A SlackDriver that also exposes the stack's parts (pivotal, slack, deps)."""

    def __init__(self, stack: LocalStack):
        super().__init__(stack.url, stack.driver.secret, stack.slack, stack.driver.http)
        self.stack = stack
        self.pivotal = stack.pivotal
        self.deps = stack.deps

    async def wait_ready(self, timeout: float = 10.0) -> None:
        await self.stack.wait_ready(timeout)


@asynccontextmanager
async def running_bot(**overrides: Any) -> AsyncIterator[Harness]:
    async with local_stack(**{**DEFAULTS, **overrides}) as stack:
        yield Harness(stack)
