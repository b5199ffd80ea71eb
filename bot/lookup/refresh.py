"""Refresh: fetch a customer now, whoever clicks, at most once per customer per window."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from cachetools import TTLCache

from bot.lookup.service import Found, Outcome


class Refetching(Protocol):
    async def refetch(self, ref: str) -> Outcome: ...


COALESCE_SECONDS = 5.0


class Refresher:
    """Clicks within `window` seconds of a fetch share its answer; concurrent clicks share
    one request (the lookup's single-flight), so a busy card costs one upstream call."""

    def __init__(
        self,
        lookup: Refetching,
        *,
        window: float = COALESCE_SECONDS,
        timer: Callable[[], float] = time.monotonic,
    ):
        self._lookup = lookup
        self._recent: TTLCache[str, Found] = TTLCache(4096, ttl=window, timer=timer)

    async def refresh(self, ref: str) -> Outcome:
        recent = self._recent.get(ref)
        if recent is not None:
            return recent
        outcome = await self._lookup.refetch(ref)
        if isinstance(outcome, Found):
            customer = outcome.snapshot.customer
            for key in (ref, customer.id, str(customer.display_id)):
                self._recent[key] = outcome
        return outcome
