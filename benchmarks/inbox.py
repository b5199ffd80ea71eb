"""Webhook answer with the durable inbox: signed delivery to 2xx, on SQLite and PostgreSQL.

A real bot process (benchmarks.server) with a webhook secret, between the sandbox Pivotal and
the fake Slack (benchmarks.fakes); its inbox is a SQLite file in the run's temporary folder,
or a database on a throwaway PostgreSQL this scenario starts (benchmarks.postgres, with
PostgreSQL's default fsync and synchronous_commit). The load
side is the sandbox's WebhookSender (standardwebhooks signatures over httpx) in this
process, one delivery in flight: each a customer.updated with a full object and its own
event id. The clock runs from handing the event to the sender to the 2xx, so it includes
the sender's signing and httpx's own CPU. Once the run is over the inbox rows marked done
are counted: every answered delivery must have been recorded, applied and finished.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import create_engine, text

from benchmarks.load import percentile
from benchmarks.plan import UNLIMITED, Plan
from benchmarks.postgres import running_postgres
from benchmarks.procs import FakesSpec, SubjectSpec, running, scratch_database
from bot.sandbox.pivotal.data import generate_customers
from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret

Metrics = dict[str, Any]
SECRET = new_secret()
START = datetime(2030, 1, 1, tzinfo=UTC)  # after every generated customer's updated_at
TARGET_MS = 50.0


class Context(Protocol):
    plan: Plan
    log_dir: Path


def events(plan: Plan) -> list[dict[str, Any]]:
    """Warm-up then measured deliveries: full objects of the fakes' customers, newer each time."""
    rows = generate_customers(plan.directory)  # the fakes process's customers (same seed)
    out = []
    for n in range(plan.warmup + plan.inbox_events):
        at = (START + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        obj = {**rows[n % len(rows)], "plan": f"plan-{n}", "updated_at": at}
        out.append(envelope("customer.updated", obj))
    return out


async def _deliver(sender: WebhookSender, batch: list[dict[str, Any]]) -> tuple[list[float], int]:
    """Send each event once its predecessor was answered; (ms to each 2xx, non-2xx count)."""
    times: list[float] = []
    refused = 0
    for event in batch:
        started = time.perf_counter()
        try:
            response = await sender.deliver(event)
        except httpx.HTTPError:
            refused += 1
            continue
        if response.is_success:
            times.append((time.perf_counter() - started) * 1000)
        else:
            refused += 1
    return times, refused


def _done_rows(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            query = text("SELECT count(*) FROM webhook_inbox WHERE done_at IS NOT NULL")
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


async def _until_done(database_url: str, count: int, timeout: float = 30.0) -> int:
    """Inbox rows marked done, once there are `count` of them or `timeout` s have passed."""
    deadline = time.monotonic() + timeout
    done = await asyncio.to_thread(_done_rows, database_url)
    while done < count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        done = await asyncio.to_thread(_done_rows, database_url)
    return done


async def answer_times(ctx: Context, database_url: str) -> Metrics:
    """One bot on `database_url`: warm up, then time `inbox_events` deliveries to their 2xx."""
    plan = ctx.plan
    spec = SubjectSpec("bot", database_url=database_url, extra=["--webhook-secret", SECRET])
    fakes = FakesSpec(plan.directory, 0, plan.latency_ms, UNLIMITED)
    batch = events(plan)
    async with running(fakes, spec, log_dir=ctx.log_dir) as target:
        async with httpx.AsyncClient(timeout=30) as http:
            sender = WebhookSender(f"{target.url}/pivotal/webhooks", SECRET, http)
            await _deliver(sender, batch[: plan.warmup])  # connections, lazy imports, pages
            times, refused = await _deliver(sender, batch[plan.warmup :])
        done = await _until_done(database_url, len(batch))
    return {
        "p50_ms": _round(percentile(times, 50)),
        "p99_ms": _round(percentile(times, 99)),
        "max_ms": _round(max(times, default=None)),
        "refused": refused,
        "done": done - plan.warmup,  # of the measured deliveries (the warm-up's are done too)
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def inbox(ctx: Context, subject: str) -> Metrics:
    """Webhook answer times on each database the plan names (the bot only: the baseline
    has no webhooks)."""
    if subject != "bot":
        return {}
    out: Metrics = {}
    for name in ctx.plan.inbox_databases:
        if name == "sqlite":
            figures = await answer_times(ctx, scratch_database(ctx.log_dir, "inbox"))
        else:
            with running_postgres() as server:
                figures = await answer_times(ctx, server.create_database("inbox"))
        out.update({f"inbox_{name}_{key}": value for key, value in figures.items()})
        out[f"inbox_{name}_events"] = ctx.plan.inbox_events
    return out


DATABASES = ("sqlite", "postgresql")
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
WHERE = {
    "sqlite": "SQLite (a file in the run's temporary folder; WAL, synchronous=NORMAL as the bot "
    "sets it)",
    "postgresql": "PostgreSQL (a local cluster started for the run; fsync and "
    "synchronous_commit on, its defaults)",
}

ROWS: tuple[tuple[str, str, bool], ...] = tuple(
    row
    for name in DATABASES
    for row in (
        (f"inbox_{name}_p50_ms", f"webhook answer p50 ms, {LABELS[name]} inbox", False),
        (f"inbox_{name}_p99_ms", f"webhook answer p99 ms, {LABELS[name]} inbox", False),
        (f"inbox_{name}_refused", "  deliveries not answered 2xx", False),
        (f"inbox_{name}_done", "  recorded, applied and marked done", True),
    )
)

SCENARIOS = {"inbox": inbox}
