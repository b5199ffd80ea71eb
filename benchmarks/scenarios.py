"""The scenarios: each starts fresh fakes and a fresh subject, drives it, returns its figures.

Every scenario runs the same way for the bot and for the baseline. Customer ids are display
ids; "cold" customers are created in the sandbox after the bot's start-up walk, and where a
scenario needs every customer cold, the bot runs with a short cache TTL and the trace starts
once the walk's copies have expired.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.export import SCENARIOS as export_scenarios
from benchmarks.inbox import SCENARIOS as inbox_scenarios
from benchmarks.lists import SCENARIOS as list_scenarios
from benchmarks.load import Lookup, SlackLoad, percentile
from benchmarks.plan import UNLIMITED, Plan
from benchmarks.procs import FakesSpec, SubjectSpec, Target, running
from benchmarks.replicas import replicas
from benchmarks.surfaces import surfaces
from benchmarks.traces import lower_bound, poisson_offsets, zipf_ids
from benchmarks.webhooks import SCENARIOS as webhook_scenarios

Metrics = dict[str, Any]


@dataclass
class Context:
    plan: Plan
    log_dir: Path
    profile_dir: Path | None = None


Scenario = Callable[[Context, str], Awaitable[Metrics]]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _share(lookups: Sequence[Lookup], *kinds: str) -> float | None:
    return round(sum(lk.kind in kinds for lk in lookups) / len(lookups), 4) if lookups else None


def _uniform(ids: int, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [str(rng.randint(1, ids)) for _ in range(n)]


def _fakes(plan: Plan, *, hidden: int = 0, limited: bool = False) -> FakesSpec:
    """The sandbox for most scenarios; the key's budget applies only where it is the subject."""
    limit = plan.rate_limit if limited else UNLIMITED
    return FakesSpec(plan.directory, hidden, plan.latency_ms, limit)


async def _warm_up(load: SlackLoad, plan: Plan) -> None:
    """First requests pay for lazy imports and opening connections; keep them out of the figures.

    As many senders as the ack scenario uses, so each of its connections is open already.
    """
    warm = await load.closed_loop(_uniform(plan.directory, plan.warmup, 1), plan.ack_concurrency)
    await load.settle(warm)


async def ack_latency(ctx: Context, subject: str) -> Metrics:
    """Closed loop: `ack_concurrency` senders, each sending again as soon as its ack came."""
    plan = ctx.plan
    async with running(_fakes(plan), SubjectSpec(subject), log_dir=ctx.log_dir) as target:
        load = SlackLoad(target)
        await _warm_up(load, plan)
        cpu = target.cpu_seconds()
        started = time.monotonic()
        texts = _uniform(plan.directory, plan.ack_requests, 2)
        lookups = await load.closed_loop(texts, plan.ack_concurrency)
        elapsed = time.monotonic() - started
        await load.settle(lookups)
        cpu_per = (target.cpu_seconds() - cpu) / len(lookups) * 1000
    acks = [lk.ack_ms for lk in lookups if lk.status == 200]
    return {
        "ack_p50_ms": _ms(percentile(acks, 50)),
        "ack_p95_ms": _ms(percentile(acks, 95)),
        "ack_p99_ms": _ms(percentile(acks, 99)),
        "ack_errors": len(lookups) - len(acks),
        "ack_card_share": _share(lookups, "card", "stale"),
        "ack_rate_cps": round(len(lookups) / elapsed, 1),
        "cpu_ms_per_command": round(cpu_per, 3),
    }


async def command_to_card(ctx: Context, subject: str) -> Metrics:
    """Open loop at a modest rate: warm customers (looked up before), then cold ones."""
    plan = ctx.plan
    fakes = _fakes(plan, hidden=plan.cold_lookups)
    async with running(fakes, SubjectSpec(subject), log_dir=ctx.log_dir) as target:
        load = SlackLoad(target)
        await _warm_up(load, plan)
        warm_ids = _uniform(plan.directory, plan.warm_lookups, 3)
        await load.settle(await load.closed_loop(warm_ids, 10))  # now they are warm
        offsets = [i / plan.warm_rate for i in range(len(warm_ids))]
        warm = await load.open_loop(warm_ids, offsets)
        await load.settle(warm)
        cold_ids = [str(i) for i in await target.reveal(plan.cold_lookups)]
        cold = await load.open_loop(cold_ids, [i / plan.cold_rate for i in range(len(cold_ids))])
        await load.settle(cold)
    warm_ms = [ms for lk in warm if (ms := lk.card_ms) is not None]
    cold_ms = [ms for lk in cold if (ms := lk.card_ms) is not None]
    return {
        "card_warm_p50_ms": _ms(percentile(warm_ms, 50)),
        "card_warm_p99_ms": _ms(percentile(warm_ms, 99)),
        "card_warm_in_ack_share": round(sum(lk.in_ack for lk in warm) / max(len(warm), 1), 4),
        "card_cold_p50_ms": _ms(percentile(cold_ms, 50)),
        "card_cold_p99_ms": _ms(percentile(cold_ms, 99)),
        "card_missing": len(warm) + len(cold) - len(warm_ms) - len(cold_ms),
    }


async def throughput(ctx: Context, subject: str) -> Metrics:
    """Open-loop steps of rising rate; the answer is the last rate held with ack p99 < 100 ms."""
    plan = ctx.plan
    profile = ctx.profile_dir / f"{subject}-throughput" if ctx.profile_dir else None
    spec = SubjectSpec(subject, profile=profile)
    steps: list[dict[str, Any]] = []
    best = 0.0
    async with running(_fakes(plan), spec, log_dir=ctx.log_dir) as target:
        load = SlackLoad(target)
        await _warm_up(load, plan)
        failures = 0
        for rate in plan.throughput_rates:
            step = await _step(load, target, rate, plan, seed=len(steps))
            steps.append(step)
            best, failures = (max(best, rate), 0) if step["ok"] else (best, failures + 1)
            if failures == 2:  # one failed step can be a hiccup; two in a row is the limit
                break
            await asyncio.sleep(0.3)
    at_500 = [s["ack_p99_ms"] for s in steps if s["offered_cps"] == 500]
    return {
        "throughput_cps": best,
        "throughput_ack_p99_at_500_ms": at_500[0] if at_500 else None,
        "throughput_steps": steps,
    }


async def _step(load: SlackLoad, target: Target, rate: float, plan: Plan, seed: int) -> Metrics:
    n = max(1, int(rate * plan.step_seconds))
    cpu = target.cpu_seconds()
    lookups = await load.open_loop(
        _uniform(plan.directory, n, 100 + seed), [i / rate for i in range(n)]
    )
    span = max(lk.acked for lk in lookups) - min(lk.sent for lk in lookups)
    cpu_share = (target.cpu_seconds() - cpu) / span if span > 0 else None
    acks = [lk.ack_ms for lk in lookups if lk.status == 200]
    p99, lag = percentile(acks, 99), percentile([lk.lag_ms for lk in lookups], 99)
    achieved = n / span if span > 0 else float(n)
    errors = n - len(acks)
    ok = errors == 0 and p99 is not None and p99 < 100 and achieved >= 0.95 * rate
    return {
        "offered_cps": rate, "achieved_cps": round(achieved, 1), "ack_p50_ms":
        _ms(percentile(acks, 50)), "ack_p99_ms": _ms(p99), "errors": errors,
        "send_lag_p99_ms": _ms(lag), "server_cpu_share": cpu_share and round(cpu_share, 3),
        "ok": ok,
    }  # fmt: skip


async def api_trace(ctx: Context, subject: str) -> Metrics:
    """Zipf trace over the directory with a short real TTL, started once every copy expired."""
    plan = ctx.plan
    spec = SubjectSpec(subject, cache_ttl=plan.trace_ttl)
    async with running(_fakes(plan), spec, log_dir=ctx.log_dir) as target:
        load = SlackLoad(target)
        await asyncio.sleep(plan.trace_ttl + 0.3)  # the walk's copies are all stale now
        ids = zipf_ids(range(1, plan.directory + 1), plan.trace_lookups, s=plan.zipf_s)
        before = (await target.stats())["customer_gets"]
        offsets = poisson_offsets(len(ids), plan.trace_seconds)
        lookups = await load.open_loop([str(i) for i in ids], offsets)
        await load.settle(lookups)
        requests = (await target.stats())["customer_gets"] - before
    # A copy lives TTL from when it arrives, one fetch latency after the request that asked.
    lifetime = plan.trace_ttl + plan.latency_ms / 1000
    bound = lower_bound([(lk.sent, int(lk.text)) for lk in lookups], lifetime)
    per_1000 = 1000 / len(lookups)
    return {
        "trace_requests_per_1000": round(requests * per_1000, 1),
        "trace_lower_bound_per_1000": round(bound * per_1000, 1),
        "trace_vs_bound": round(requests / bound, 4) if bound else None,
        "trace_distinct": len(set(ids)),
        "trace_card_share": _share(lookups, "card", "stale"),
    }


async def burst(ctx: Context, subject: str) -> Metrics:
    """`burst` lookups of one customer created after the walk, all sent at once."""
    plan = ctx.plan
    fakes = _fakes(plan, hidden=1, limited=True)
    async with running(fakes, SubjectSpec(subject), log_dir=ctx.log_dir) as target:
        load = SlackLoad(target)
        (cold,) = await target.reveal(1)
        before = (await target.stats())["customer_gets"]
        lookups = await load.closed_loop([str(cold)] * plan.burst, plan.burst)
        await load.settle(lookups)
        requests = (await target.stats())["customer_gets"] - before
    return {"burst_requests": requests, "burst_card_share": _share(lookups, "card", "stale")}


async def overload(ctx: Context, subject: str) -> Metrics:
    """10x the key's budget in lookups, mostly for customers known (but expired) from the walk."""
    plan = ctx.plan
    fakes = _fakes(plan, hidden=plan.uncached, limited=True)
    spec = SubjectSpec(subject, cache_ttl=plan.overload_ttl)
    async with running(fakes, spec, log_dir=ctx.log_dir) as target:
        load = SlackLoad(target)
        uncached = set(await target.reveal(plan.uncached))
        await asyncio.sleep(plan.overload_ttl + 0.3)
        rng = random.Random(5)
        n = plan.overload_factor * plan.rate_limit
        ids = [
            rng.choice(sorted(uncached))
            if rng.random() < plan.uncached_share
            else rng.randint(1, plan.directory)
            for _ in range(n)
        ]
        before = (await target.stats())["requests"]
        offsets = poisson_offsets(n, plan.overload_seconds)
        lookups = await load.open_loop([str(i) for i in ids], offsets)
        await load.settle(lookups, timeout=30)
        requests = (await target.stats())["requests"] - before
    cached = [lk for lk in lookups if int(lk.text) not in uncached]
    fresh_only = [lk for lk in lookups if int(lk.text) in uncached]
    return {
        "overload_lookups": n,
        "overload_cached_card_share": _share(cached, "card", "stale"),
        "overload_cached_stale_share": _share(cached, "stale"),
        "overload_cached_rate_limited": sum(lk.kind == "rate_limited" for lk in cached),
        "overload_uncached_card_share": _share(fresh_only, "card", "stale"),
        "overload_card_share": _share(lookups, "card", "stale"),
        "overload_pivotal_requests": requests,
    }


async def memory(ctx: Context, subject: str) -> Metrics:
    """RSS after the start-up walk of a `customers`-sized directory and a few lookups."""
    plan = ctx.plan
    fakes = FakesSpec(plan.customers, 0, plan.latency_ms, plan.walk_rate_limit)
    async with running(
        fakes, SubjectSpec(subject), log_dir=ctx.log_dir, ready_timeout=300
    ) as target:
        load = SlackLoad(target)
        lookups = await load.closed_loop(_uniform(plan.customers, 20, 4), 1)
        await load.settle(lookups)
        info = target.info
        rss = target.rss_mb()
    return {
        "memory_rss_mb": round(rss, 1),
        "memory_rss_before_walk_mb": round(info["rss_start_mb"], 1),
        "memory_customers": info["customers"],
        "walk_seconds": info["walk_seconds"] and round(info["walk_seconds"], 2),
        "walk_pages": info["walk_pages"],
    }


SCENARIOS: dict[str, Scenario] = {
    "ack": ack_latency,
    "card": command_to_card,
    "throughput": throughput,
    "trace": api_trace,
    "burst": burst,
    "overload": overload,
    "memory": memory,
    "replicas": replicas,
    "surfaces": surfaces,
    **list_scenarios,
    **webhook_scenarios,
    **inbox_scenarios,
    **export_scenarios,
}
