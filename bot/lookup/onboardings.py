"""The current onboarding of each customer, held in memory (no I/O here).

Filled by a background walk of GET /onboardings (``fill``) and kept current by
``onboarding.*`` webhooks (``put``), so a card needs no GET for its onboarding. A
customer's current onboarding is its newest one not completed, else its latest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime

from bot.logs import event
from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import PivotalError
from bot.pivotal.models import Page
from bot.pivotal.onboarding_phases import TERMINAL_PHASES
from bot.pivotal.related import Onboarding

log = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DONE_STATES = frozenset({"done", "completed"})


def is_open(onboarding: Onboarding) -> bool:
    """Not completed: no completed_at, a phase and a state that are not terminal."""
    return (
        onboarding.completed_at is None
        and onboarding.phase.strip().lower() not in TERMINAL_PHASES
        and onboarding.state.strip().lower() not in _DONE_STATES
    )


def _rank(onboarding: Onboarding) -> tuple[bool, datetime, int]:
    newest = onboarding.started_at or onboarding.created_at or _EPOCH
    return (is_open(onboarding), newest, onboarding.display_id or 0)


def _newer(held: Onboarding, told: Onboarding) -> bool:
    """`held` was updated after `told` (both must say when)."""
    return (
        held.updated_at is not None
        and told.updated_at is not None
        and held.updated_at > told.updated_at
    )


class OnboardingBook:
    """Every onboarding by customer id (cuid); the current one per customer on demand."""

    def __init__(self) -> None:
        self._by_customer: dict[str, dict[str, Onboarding]] = {}
        self.walked = False
        self._walked = asyncio.Event()

    def put(self, onboarding: Onboarding) -> bool:
        """One onboarding Pivotal told (a webhook); False when what is held was updated
        later (a delivery that arrived out of order changes nothing)."""
        held = self._by_customer.setdefault(onboarding.customer_id, {})
        known = held.get(onboarding.id)
        if known is not None and _newer(known, onboarding):
            return False
        held[onboarding.id] = onboarding
        return True

    def replace(self, onboardings: Iterable[Onboarding]) -> None:
        """A whole walk: what it listed replaces what was held."""
        fresh: dict[str, dict[str, Onboarding]] = {}
        for item in onboardings:
            held = self._by_customer.get(item.customer_id, {}).get(item.id)
            if held is not None and _newer(held, item):  # a webhook told it after the walk read it
                item = held
            fresh.setdefault(item.customer_id, {})[item.id] = item
        self._by_customer = fresh
        self.walked = True
        self._walked.set()

    async def wait_walked(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the first walk; whether it has ended."""
        try:
            await asyncio.wait_for(self._walked.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def fill(self, pages: AsyncIterable[Iterable[Onboarding]]) -> int:
        """Replace the book with every onboarding of `pages`; how many were read."""
        items: list[Onboarding] = []
        async for page in pages:
            items.extend(page)
        self.replace(items)
        return len(items)

    def current(self, customer_id: str) -> Onboarding | None:
        """The newest onboarding of `customer_id` not completed, else its latest; None if
        none is known."""
        held = self._by_customer.get(customer_id)
        return max(held.values(), key=_rank) if held else None

    def __len__(self) -> int:
        return sum(len(held) for held in self._by_customer.values())


async def walk_onboardings(
    book: OnboardingBook,
    client: PivotalClient,
    interval: Callable[[], float],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Walk GET /onboardings (100 a page, background budget) into `book` now and then
    every `interval()` seconds (the directory's); a failed walk keeps the book as it was
    and retries sooner."""
    failures = 0
    while True:
        try:
            read = await book.fill(_items(client.iter_onboardings(background=True)))
            failures, delay = 0, interval()
            event(log, "onboardings.walked", onboardings=read)
        except PivotalError as exc:
            failures += 1
            delay = min(interval(), 5.0 * 2 ** min(failures, 6))
            event(log, "onboardings.walk.failed", logging.WARNING, error=type(exc).__name__,
                  retry_in=delay)  # fmt: skip
        await sleep(delay)


async def _items(pages: AsyncIterable[Page[Onboarding]]) -> AsyncIterator[list[Onboarding]]:
    async for page in pages:
        yield list(page.data)
