from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.scenarios.harness import Harness, running_bot


@pytest.fixture
async def bot() -> AsyncIterator[Harness]:
    """The bot with its first directory walk done."""
    async with running_bot() as harness:
        yield harness
