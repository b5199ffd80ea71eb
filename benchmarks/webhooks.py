"""Webhook scenarios: webhook-to-card latency, a day's Pivotal requests, a nightly burst.

They run the real bot in process (bot/sandbox/stack.py) against the sandbox Pivotal and
the fake Slack, with deliveries signed by the standardwebhooks library; only the bot
subject has webhooks, so the baseline reports nothing here.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from benchmarks.load import percentile
from benchmarks.plan import Plan
from benchmarks.procs import scratch_database
from benchmarks.replicas import redis_server
from bot.lookup.feed import FeedLiveness
from bot.sandbox.pivotal.data import generate_customers
from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.stack import LocalStack, local_stack
from bot.slack.live import TIER3_GAP, Posted
from bot.slack.privacy import CardMode

Metrics = dict[str, Any]


class Context(Protocol):
    plan: Plan
    log_dir: Path  # the run's temporary folder: each bot's SQLite file goes there


SECRET = new_secret()
PAGE = 100


async def _until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not met")
        await asyncio.sleep(0.001)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


async def webhook_to_card(ctx: Context, subject: str) -> Metrics:
    """A full customer.updated, then /customer: time until the card shows it; GETs spent."""
    if subject != "bot":
        return {}
    rounds = ctx.plan.warm_lookups
    database = scratch_database(ctx.log_dir, "webhook-card")
    async with local_stack(log_level="WARNING", pivotal_webhook_secret=SECRET,
                           database_url=database) as stack:  # fmt: skip
        hooks = stack.deps.hooks
        assert hooks is not None
        sender = WebhookSender(f"{stack.url}/pivotal/webhooks", SECRET, stack.driver.http)
        customers = stack.pivotal.customers
        stack.pivotal.clear_requests()
        times: list[float] = []
        for n in range(rounds):
            row = customers[n % len(customers)]
            plan = f"plan-{n}"
            obj = {**row, "plan": plan, "updated_at": f"2030-01-01T00:{n // 60:02d}:{n % 60:02d}Z"}
            started, before = time.perf_counter(), hooks.applied
            await sender.deliver(envelope("customer.updated", obj))
            await _until(lambda before=before: hooks.applied > before)  # type: ignore[misc]
            card = await stack.driver.lookup(str(row["display_id"]))
            times.append(time.perf_counter() - started)
            assert plan in str(card["blocks"]), "the card did not show the webhook's data"
        return {
            "webhook_card_p50_ms": _ms(percentile(times, 50)),
            "webhook_card_p99_ms": _ms(percentile(times, 99)),
            "webhook_card_gets": stack.pivotal.customer_gets(),
        }


def _day(webhooks: bool, *, customers: int = 10_000, seed: int = 7) -> dict[str, float]:
    """Pivotal requests over a simulated day, by the bot's freshness and polling rules.

    10,000 customers; 3,000 lookups in working hours (Zipf-like: a tenth of the customers
    get most of them); 1,500 edits a day; at 02:00 a health recompute touches everyone.
    Polling walks every 600 s and a lookup GETs when its copy is 300 s old. With webhooks
    the walk is hourly, each edit arrives as a full object (0 GETs), the recompute as
    partial objects whose previous_attributes name only health fields (0 GETs), and a copy
    taken while deliveries keep coming stays fresh (FeedLiveness, the bot's own rule).
    """
    rng = random.Random(seed)
    clock = [0.0]
    feed = FeedLiveness(quiet_seconds=900, timer=lambda: clock[0])
    ttl, walk_every = 300.0, (3600.0 if webhooks else 600.0)
    pages = (customers + PAGE - 1) // PAGE
    events: list[tuple[float, str, int]] = []
    hot = max(1, customers // 10)
    for _ in range(3000):
        who = rng.randrange(hot) if rng.random() < 0.8 else rng.randrange(customers)
        events.append((rng.uniform(8 * 3600, 18 * 3600), "lookup", who))
    events += [(rng.uniform(0, 86_400), "edit", rng.randrange(customers)) for _ in range(1500)]
    events += [(7200 + i * 0.05, "health", i) for i in range(customers)]
    events.sort()
    fetched: dict[int, float] = {}
    gets = 0
    walk_pages = math.ceil(86_400 / walk_every) * pages  # a walk at 0, then every interval
    for at, kind, who in events:
        clock[0] = at
        walked_at = math.floor(at / walk_every) * walk_every
        if kind == "lookup":
            copy = max(fetched.get(who, -1e9), walked_at)
            fresh = at - copy < ttl or (webhooks and feed.covers(copy))
            if not fresh:
                gets += 1
                fetched[who] = at
        elif webhooks:
            feed.heard()
            fetched[who] = at  # the webhook's object is the copy
    total = gets + walk_pages
    return {"per_hour": round(total / 24, 1), "gets": gets, "walk_pages": walk_pages}


async def webhook_budget(ctx: Context, subject: str) -> Metrics:
    """Pivotal requests per hour for 10,000 customers: webhooks on vs today's polling."""
    if subject != "bot":
        return {}
    polling, hooked = _day(False), _day(True)
    return {
        "requests_per_hour_polling": polling["per_hour"],
        "requests_per_hour_webhooks": hooked["per_hour"],
        "day_gets_polling": polling["gets"],
        "day_gets_webhooks": hooked["gets"],
    }


async def webhook_burst(ctx: Context, subject: str) -> Metrics:
    """1,000 partial customer.updated (a health recompute that does not say what changed)."""
    if subject != "bot":
        return {}
    count = ctx.plan.burst * 5
    pivotal = SandboxPivotal(generate_customers(count * 2), rate_limit=max(60, ctx.plan.rate_limit))
    async with local_stack(pivotal=pivotal, log_level="WARNING", pivotal_webhook_secret=SECRET,
                           database_url=scratch_database(ctx.log_dir, "webhook-burst"),
                           ) as stack:  # fmt: skip
        hooks = stack.deps.hooks
        assert hooks is not None
        sender = WebhookSender(f"{stack.url}/pivotal/webhooks", SECRET, stack.driver.http)
        rows = pivotal.customers[:count]
        live = stack.deps.live
        assert live is not None
        carded = [int(r["display_id"]) for r in rows[: max(2, count // 20)]]
        for n, display_id in enumerate(carded):  # cards shared in channels earlier
            posted = Posted("C0GENERAL", f"1700000000.{n:06d}", CardMode.FULL)
            await live.remember(display_id, posted)
        pivotal.clear_requests()
        acks: list[float] = []
        started = time.perf_counter()
        for n, row in enumerate(rows):
            obj = {"id": f"cus_{n}", "display_id": row["display_id"], "health_score": n % 100}
            sent = time.perf_counter()
            response = await sender.deliver(envelope("customer.updated", obj))
            acks.append(time.perf_counter() - sent)
            assert response.status_code == 202
        for display_id in carded:  # a second change to each carded customer: coalesced
            obj = {"id": f"cus_x{display_id}", "display_id": display_id, "health_score": 1}
            await sender.deliver(envelope("customer.updated", obj))
        await _until(lambda: hooks.applied >= count + len(carded))
        applied = time.perf_counter() - started
        await _until(lambda: len(hooks.refetcher) == 0 and hooks.refetcher.walks >= 1, 60)
        await stack.deps.directory.walk()  # joins the walk the refetcher started
        await _until(lambda: live.updates >= len(carded), 30 + len(carded) * 2 * live.gap)
        await _until(lambda: live.idle, 30 + len(carded) * 2 * live.gap)  # every turn taken
        updates = [c.at for c in stack.slack.calls_to("chat.update")]
        await stack.settle()
        return {
            "burst_ack_p99_ms": _ms(percentile(acks, 99)),
            "burst_applied_s": round(applied, 2),
            "burst_gets": pivotal.customer_gets(),
            "burst_list_pages": pivotal.list_calls(),
            "burst_429s": sum(1 for r in pivotal.requests if r.status == 429),
            "burst_live_cards": len(carded),
            "burst_live_card_updates": len(updates),
            "burst_live_unchanged": live.unchanged,
            "burst_live_updates_per_min_max": _busiest_minute(updates),
        }


@asynccontextmanager
async def _replicas(
    rows: list[dict[str, Any]], rate_limit: int, log_dir: Path
) -> AsyncIterator[list[LocalStack]]:
    """Three bots with webhooks on one fresh redis-server, each following the change stream.

    Each keeps its inbox in its own SQLite file, as replicas without DATABASE_URL would.
    """
    with redis_server() as (url, _):
        async with AsyncExitStack() as exit_stack:
            stacks = [
                await exit_stack.enter_async_context(local_stack(
                    pivotal=SandboxPivotal(rows, rate_limit=rate_limit), log_level="WARNING",
                    pivotal_webhook_secret=SECRET, redis_url=url,
                    database_url=scratch_database(log_dir, f"webhook-replica-{n}")))
                for n in range(3)
            ]  # fmt: skip
            feeds = [s.deps.hooks.peers if s.deps.hooks else None for s in stacks]
            await _until(lambda: all(f is not None and f.tailing for f in feeds))
            yield stacks
            for s in stacks:
                await s.settle()


async def webhook_burst_replicas(ctx: Context, subject: str) -> Metrics:
    """The same burst spread over three replicas on one Redis, cards shared through each.

    Every replica hears of every change (its own deliveries, the others' on the stream),
    so this measures what the shared registry promises: each card redrawn once per change,
    and one Tier 3 pace for the app, not one per replica. Each replica has its own copy of
    the sandbox (same customers) and its own fake Slack; their calls are counted together.
    """
    if subject != "bot":
        return {}
    count = ctx.plan.burst * 5
    rows = generate_customers(count * 2)
    carded = [int(r["display_id"]) for r in rows[: max(2, count // 20)]]
    async with _replicas(rows, max(60, ctx.plan.rate_limit), ctx.log_dir) as stacks:
        lives = [s.deps.live for s in stacks if s.deps.live is not None]
        for n, display_id in enumerate(carded):  # shared through whichever replica answered
            posted = Posted("C0GENERAL", f"1700000000.{n:06d}", CardMode.FULL)
            await lives[n % 3].remember(display_id, posted)
        for s in stacks:
            s.pivotal.clear_requests()
        senders = [WebhookSender(f"{s.url}/pivotal/webhooks", SECRET, s.driver.http)
                   for s in stacks]  # fmt: skip
        for n, row in enumerate(rows[:count]):
            obj = {"id": f"cus_{n}", "display_id": row["display_id"], "health_score": n % 100}
            assert (await senders[n % 3].deliver(envelope("customer.updated", obj))).is_success
        hooks = [s.deps.hooks for s in stacks if s.deps.hooks is not None]
        await _until(lambda: sum(h.applied for h in hooks) >= count)
        patience = 30 + len(carded) * 2 * TIER3_GAP
        await _until(lambda: sum(lv.updates for lv in lives) >= len(carded), patience)
        await _until(lambda: all(lv.idle for lv in lives), patience)
        calls = [c for s in stacks for c in s.slack.calls_to("chat.update")]
        per_card = Counter(str(c.body["ts"]) for c in calls)
        upstream = [r for s in stacks for r in s.pivotal.requests]
        gets = sum(s.pivotal.customer_gets() for s in stacks)
        pages = sum(s.pivotal.list_calls() for s in stacks)
    return {
        "replicas_burst_live_cards": len(carded),
        "replicas_burst_live_card_updates": len(calls),
        "replicas_burst_live_most_per_card": max(per_card.values(), default=0),
        "replicas_burst_live_updates_per_min_max": _busiest_minute([c.at for c in calls]),
        "replicas_burst_gets": gets,
        "replicas_burst_list_pages": pages,
        "replicas_burst_429s": sum(1 for r in upstream if r.status == 429),
    }


def _busiest_minute(times: list[float]) -> int:
    """The most calls in any 60 s window (Slack's Tier 3 allows about 50)."""
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t - start < 60) for i, start in enumerate(times)),
               default=0)  # fmt: skip


ROWS: tuple[tuple[str, str, bool], ...] = (
    ("webhook_card_p50_ms", "webhook→fresh card p50 ms", False),
    ("webhook_card_p99_ms", "webhook→fresh card p99 ms", False),
    ("webhook_card_gets", "webhook→card: customer GETs", False),
    ("requests_per_hour_polling", "10k customers, req/h polling", False),
    ("requests_per_hour_webhooks", "10k customers, req/h webhooks", False),
    ("burst_ack_p99_ms", "1000 webhooks: ack p99 ms", False),
    ("burst_gets", "1000 webhooks: customer GETs", False),
    ("burst_list_pages", "1000 webhooks: list pages", False),
    ("burst_429s", "1000 webhooks: upstream 429s", False),
    ("burst_live_card_updates", "  live cards updated (one each)", False),
    ("burst_live_unchanged", "  redraws skipped: card unchanged", False),
    ("burst_live_updates_per_min_max", "  chat.update in busiest minute", False),
    ("replicas_burst_live_card_updates", "3 replicas + Redis: live card updates", False),
    ("replicas_burst_live_most_per_card", "  most updates of one card", False),
    ("replicas_burst_live_updates_per_min_max", "  chat.update in busiest minute", False),
    ("replicas_burst_gets", "  customer GETs (all replicas)", False),
    ("replicas_burst_list_pages", "  list pages (all replicas)", False),
)

SCENARIOS = {
    "webhook_card": webhook_to_card,
    "webhook_budget": webhook_budget,
    "webhook_burst": webhook_burst,
    "webhook_replicas": webhook_burst_replicas,
}
