"""`python -m benchmarks.filters`: filter evaluation p50/p99 over 100,000 generated customers."""

# In-process, no Slack and no HTTP: parse once, then evaluate each filter many times over one
# PortfolioIndex and read its first page (count, total MRR and the 10 rows a list shows).
# Also times building the index, which a list keeps until its customers change.

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bot.lookup.directory import Snapshot
from bot.lookup.filters import Filter, parse_filter
from bot.lookup.portfolio import PortfolioIndex, evaluate
from bot.pivotal.models import Customer, Signals
from bot.sandbox.pivotal.data import generate_customers

NOW = datetime(2026, 5, 1, tzinfo=UTC)  # the generated customers end here
ME = "owner7@example.com"
SINGLE = (
    "status:at_risk",
    "plan:enterprise",
    "mrr>1k",
    "health<50",
    "mine",
    "orders>100",
    "created>2025-01-01",
    "updated<30d",
    "channel:linked",
    "summit",
    '"summit labs"',
    "a",
    "mrr>=1.5k sort:name",
    "health<50 sort:health",
)
FOUR = (
    "status:active plan:enterprise mrr>=1.5k health<50",
    "status:at-risk mrr>1k updated<90d channel:none",
    "mine status:active,at_risk orders>10 created>2024-01-01",
    "plan:growth,starter mrr<500 health>=80 updated>30d",
)


def customers(n: int, seed: int) -> list[Snapshot]:
    fetched = time.time()
    bodies = generate_customers(n, seed=seed)
    return [Snapshot(Customer.model_validate(body), fetched, NOW) for body in bodies]


def signals(snaps: list[Snapshot], seed: int) -> Callable[[int], Signals | None]:
    """Health and owner for about 70 % of the customers, as webhooks would have told."""
    rng = random.Random(seed)
    told: dict[int, Signals] = {}
    for snap in snaps:
        if rng.random() < 0.7:
            owner = f"owner{rng.randrange(40)}@example.com"
            told[snap.customer.display_id] = Signals(
                health_score=rng.randrange(101), owner_email=owner
            )
    return told.get


def timed(index: PortfolioIndex, text: str, runs: int) -> tuple[float, float, int]:
    """p50 and p99 in ms of evaluating `text` and reading its first page; and the count."""
    parsed = parse_filter(text)
    assert isinstance(parsed, Filter), parsed
    index.evaluate(parsed, me=ME, now=NOW).page(1)  # a column's first use builds it: not timed
    samples: list[float] = []
    count = 0
    for _ in range(runs):
        started = time.perf_counter()
        found = index.evaluate(parsed, me=ME, now=NOW)
        found.page(1)
        samples.append((time.perf_counter() - started) * 1000)
        count = found.count
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(len(samples) * 0.99))]
    return statistics.median(samples), p99, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.filters", description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=300, help="evaluations per filter")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    snaps = customers(args.customers, args.seed)
    told = signals(snaps, args.seed)
    started = time.perf_counter()
    index = PortfolioIndex(snaps, signals=told)
    built = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # as the bot does once a directory is installed
    print(f"{args.customers:,} customers; index built in {built * 1000:.0f} ms")
    print(f"{'filter':<58} {'matches':>8} {'p50 ms':>7} {'p99 ms':>7}")
    worst: dict[str, float] = {}
    for group, texts in (("single", SINGLE), ("four-field", FOUR)):
        for text in texts:
            p50, p99, count = timed(index, text, args.runs)
            worst[group] = max(worst.get(group, 0.0), p99)
            print(f"{text:<58} {count:>8,} {p50:>7.2f} {p99:>7.2f}")
    parsed = parse_filter(FOUR[0])
    assert isinstance(parsed, Filter)
    started = time.perf_counter()
    evaluate(parsed, snaps, signals=told, me=ME, now=NOW)
    once = (time.perf_counter() - started) * 1000
    print(f"worst p99: single {worst['single']:.2f} ms, four-field {worst['four-field']:.2f} ms")
    print(f"evaluate() without a kept index (builds one): {once:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
