"""Snoozed follows speak again: each one whose day is over is resumed (every replica may run
this; resuming twice is harmless)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bot.follows.reasons import SNOOZED, snooze_end
from bot.follows.store import FollowStore
from bot.logs import event
from bot.lookup.durable import StoreUnavailable

log = logging.getLogger(__name__)

EVERY = 60.0  # seconds between looks: a snooze ends at most this late


async def wake(follows: FollowStore, now: float) -> int:
    """Resume every follow whose snooze ended by `now`; how many."""
    woken = 0
    for follow in await follows.paused(SNOOZED):
        end = snooze_end(follow.paused_reason)
        if end is not None and end <= now and await follows.resume(follow.id):
            event(log, "follow.snooze_over", follow=follow.id)
            woken += 1
    return woken


async def run(
    follows: FollowStore,
    *,
    ready: Callable[[], bool] = lambda: True,
    clock: Callable[[], float] = time.time,
) -> None:
    """Wake snoozed follows every EVERY seconds (a task for the process's life), once the
    database is `ready` (migrated)."""
    while True:
        try:
            if ready():
                await wake(follows, clock())
        except StoreUnavailable:
            event(log, "follow.snoozes_unavailable", logging.WARNING)
        except Exception:  # the waker must outlive one bad look
            log.exception("follow.snoozes_failed")
        await asyncio.sleep(EVERY)
