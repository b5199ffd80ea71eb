"""`python -m benchmarks.follows`: segment matching per change, and planning a fan-out.

In-process, no Slack: (1) 10,000 segment follows (mostly distinct filters over status,
plan, MRR and health), and the time to find which of them one change concerns, per change;
(2) one change of a customer followed by 1,000 channels, planned into the outbox on a
SQLite file: the planner's CPU per notification it owes (the sender's share is not here).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.follows.model import Destination, Follow, NewFollow, Target
from bot.follows.planner import Planner
from bot.follows.segments import SegmentIndex
from bot.lookup.changed import CustomerChanged
from bot.lookup.filters import Filter, parse_filter
from bot.lookup.matcher import Matcher
from bot.pivotal.models import Customer, Signals
from bot.sandbox.pivotal.data import generate_customers
from bot.store.database import Database
from bot.store.follows import SqlFollows
from bot.store.outbox import SqlOutbox

SEGMENT_TARGET_MS = 1.0
CPU_TARGET_MS = 2.0


def segment_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    statuses = ["active", "at_risk", "onboarding", "churned", "active,at_risk"]
    plans = ["growth", "enterprise", "starter", '"scale (annual)"', "none"]
    texts = []
    for _ in range(n):
        parts = [f"status:{rng.choice(statuses)}"]
        if rng.random() < 0.7:
            parts.append(f"plan:{rng.choice(plans)}")
        if rng.random() < 0.5:
            parts.append(f"mrr>{rng.randrange(1, 50) * 100}")
        if rng.random() < 0.3:
            parts.append(f"health<{rng.randrange(20, 80)}")
        texts.append(" ".join(parts))
    return texts


def segment_matching(follows: int, changes: int, seed: int) -> tuple[float, float, float]:
    """p50 and p99 ms per change, and the mean number of follows a change concerned."""
    texts = segment_texts(follows, seed)
    made = [Follow(Target(segment=t), Destination(f"C{i}"), "U1", id=i + 1)
            for i, t in enumerate(texts)]  # fmt: skip
    matchers: dict[str, Matcher | None] = {}
    for text in set(texts):
        parsed = parse_filter(text)
        matchers[text] = Matcher(parsed) if isinstance(parsed, Filter) else None
    index = SegmentIndex(made, matchers)
    rng = random.Random(seed)
    customers = [Customer.model_validate(b) for b in generate_customers(changes, seed=seed)]
    now = datetime.now(UTC)
    samples, concerned = [], []
    for before in customers:
        after = before.model_copy(update={"status": rng.choice(["active", "at_risk", "churned"])})
        told = Signals(health_score=rng.randrange(101)), Signals(health_score=rng.randrange(101))
        change = CustomerChanged(before.display_id, before, after, *told, "webhook", "e")
        started = time.perf_counter()
        found = index.concerned(change, now)
        samples.append((time.perf_counter() - started) * 1000)
        concerned.append(len(found))
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(len(samples) * 0.99))]
    return statistics.median(samples), p99, statistics.mean(concerned)


async def fan_out(channels: int) -> tuple[float, float, int]:
    """Planner CPU ms per notification and wall seconds for one change to `channels`."""
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        await database.migrate()
        follows, outbox = SqlFollows(database), SqlOutbox(database)
        for n in range(channels):
            asked = NewFollow(Target(display_id=42), Destination(f"C{n:06d}"), "U1")
            await follows.add(asked, now=0)
        planner = Planner(follows, outbox)
        [body] = generate_customers(1, seed=9)
        before = Customer.model_validate({**body, "display_id": 42, "status": "active"})
        after = before.model_copy(update={"status": "at_risk"})
        change = CustomerChanged(42, before, after, None, None, "webhook", "evt_bench")
        cpu, wall = time.process_time(), time.perf_counter()
        reached = await planner.plan(change)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        await database.aclose()
    return cpu * 1000 / max(1, reached), wall, reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.follows", description=__doc__)
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--channels", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    p50, p99, concerned = segment_matching(args.segments, args.changes, args.seed)
    verdict = "PASS" if p99 <= SEGMENT_TARGET_MS else "FAIL"
    print(f"segment matching, {args.segments:,} segment follows: p50 {p50:.2f} ms, "
          f"p99 {p99:.2f} ms per change (concerned {concerned:.0f} follows on average); "
          f"target p99 <= {SEGMENT_TARGET_MS} ms: {verdict}")  # fmt: skip
    per, wall, reached = asyncio.run(fan_out(args.channels))
    verdict = "PASS" if per <= CPU_TARGET_MS else "FAIL"
    print(f"planning one change for {reached:,} channels (SQLite): {per:.2f} ms CPU per "
          f"notification, {wall:.1f} s in all; "
          f"target <= {CPU_TARGET_MS} ms: {verdict}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
