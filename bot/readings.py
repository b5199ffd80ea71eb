"""What /metrics shows of the running bot: its dependencies read into a metrics Reading."""

from __future__ import annotations

import time

from bot.app import Deps
from bot.lookup.durable import StoreUnavailable
from bot.metrics import Notifications, Reading, Webhooks


async def read(deps: Deps) -> Reading:
    """The gauges' values from a running bot (one Redis call when the budget is shared)."""
    info = deps.pivotal.governor.info()
    stores = deps.stores
    shared = None
    if stores.budget is not None:
        shared = await stores.budget.remaining(deps.pivotal.governor.shared_limit())
    redis = stores.redis
    directory = deps.directory
    return Reading(
        budget_limit=info.limit,
        budget_remaining=info.remaining,
        shared_budget_remaining=shared,
        directory_customers=len(directory),
        directory_loaded_at=directory.loaded_at,
        directory_ready=directory.ready,
        inflight=len(deps.inflight.tasks),
        redis_configured=redis is not None,
        redis_up=redis.up if redis else False,
        redis_fallbacks=redis.fallbacks if redis else 0,
        redis_outages=redis.outages if redis else 0,
        webhooks=_webhooks(deps),
        notifications=await _notifications(deps),
    )


async def _notifications(deps: Deps) -> Notifications | None:
    """The outbox's rows by status (one query), when the database is there."""
    if not deps.durable.ready:
        return None
    try:
        stats = await deps.durable.outbox.stats(now=time.time())
        follows = await deps.durable.follows.counts()
    except StoreUnavailable:
        return None
    count = stats.by_status
    return Notifications(queued=count.get("pending", 0), sending=count.get("sending", 0),
                         sent=count.get("sent", 0), failed=count.get("failed", 0),
                         oldest_pending_seconds=stats.oldest_pending_seconds, follows=follows,
                         digests_sent=deps.digests.sent if deps.digests else 0,
                         planned=deps.planner.planned if deps.planner else 0)  # fmt: skip


def _webhooks(deps: Deps) -> Webhooks | None:
    hooks, live = deps.hooks, deps.live
    if hooks is None:
        return None
    return Webhooks(
        applied=hooks.applied,
        refetches=hooks.refetcher.gets,
        live_cards=len(live) if live else 0,
        live_updates=live.updates if live else 0,
        live_unchanged=live.unchanged if live else 0,
        live_dropped=live.dropped if live else 0,
    )
