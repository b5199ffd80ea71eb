"""Replicas: three bots sharing one Redis against three without it, on the same traces.

One fakes process (the sandbox Pivotal, 150 ms, and the fake Slack) serves every replica;
load is spread round-robin over the replicas. Also the open-loop ack target for one bot.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx

from benchmarks.load import Lookup, SlackLoad, percentile
from benchmarks.plan import UNLIMITED, Plan
from benchmarks.procs import FakesSpec, SubjectSpec, Target, spawn, stop
from benchmarks.traces import lower_bound, poisson_offsets, zipf_ids

Metrics = dict[str, Any]


@contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", workdir]  # fmt: skip
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(8).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.02)
        try:
            yield f"redis://127.0.0.1:{port}/0", proc
        finally:
            os.kill(proc.pid, signal.SIGCONT)
            proc.terminate()
            proc.wait(5)


class Group:
    """Replicas over one fakes process; `loads` sends to them round-robin."""

    def __init__(self, fakes: dict[str, Any], control: httpx.AsyncClient, log_dir: Any):
        self.fakes = fakes
        self.control = control
        self.log_dir = log_dir
        self.children: list[Any] = []
        self.loads: list[SlackLoad] = []

    async def add(self, spec: SubjectSpec, *, timeout: float = 240) -> float:
        """Start one more replica; seconds until it said it was ready."""
        started = time.monotonic()
        name = f"replica-{len(self.children) + 1}-{random.randrange(1 << 16):04x}"
        spec = spec.for_run(self.log_dir, name)
        child = await spawn(name, spec.args(self.fakes), log_dir=self.log_dir, timeout=timeout)
        seconds = time.monotonic() - started
        self.children.append(child)
        target = Target("bot", child.info["url"], child.info["pid"], child.info,
                        self.fakes["response_base"], self.control)  # fmt: skip
        load = SlackLoad(target)
        # Tokens name response_url posts, which all replicas send to one fake Slack: keep
        # each replica's tokens apart so every answer is matched to its own lookup.
        load._ids = itertools.count(1 + 1_000_000 * len(self.loads))
        self.loads.append(load)
        return seconds

    async def stats(self) -> dict[str, Any]:
        response = await self.control.get("/_sandbox/stats")
        response.raise_for_status()
        return dict(response.json())

    async def open_loop(self, texts: Sequence[str], offsets: Sequence[float]) -> list[Lookup]:
        lookups = [self.loads[i % len(self.loads)].prepare([t])[0] for i, t in enumerate(texts)]
        start = time.monotonic() + 0.05
        tasks = []
        for i, (lookup, offset) in enumerate(zip(lookups, offsets, strict=True)):
            due = start + offset
            if (delay := due - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.loads[i % len(self.loads)].send(lookup, due)))
        return list(await asyncio.gather(*tasks))

    async def settle(self, lookups: Sequence[Lookup], timeout: float = 30) -> None:
        await self.loads[0].settle(lookups, timeout)


@asynccontextmanager
async def group(plan: Plan, fakes: FakesSpec, log_dir: Any) -> AsyncIterator[Group]:
    pair = await spawn(f"replicas-fakes-{random.randrange(1 << 16):04x}", fakes.args(),
                       log_dir=log_dir, timeout=60)  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=pair.info["control_url"], timeout=30) as control:
            g = Group(pair.info, control, log_dir)
            try:
                yield g
            finally:
                for load in g.loads:
                    load.wire.close()
                for child in g.children:
                    await stop(child)
    finally:
        await stop(pair)


def _spec(redis_url: str | None, **kw: Any) -> SubjectSpec:
    extra = ["--redis-url", redis_url] if redis_url else []
    return SubjectSpec("bot", extra=extra, **kw)


def _share(lookups: Sequence[Lookup], *kinds: str) -> float | None:
    return round(sum(lk.kind in kinds for lk in lookups) / len(lookups), 4) if lookups else None


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def _trace(plan: Plan, log_dir: Any, redis_url: str | None, n: int) -> Metrics:
    """Zipf lookups over `n` replicas with a short TTL, once every walked copy expired."""
    async with group(plan, FakesSpec(plan.directory, 0, plan.latency_ms, UNLIMITED), log_dir) as g:
        for _ in range(n):
            await g.add(_spec(redis_url, cache_ttl=plan.trace_ttl))
        await asyncio.sleep(plan.trace_ttl + 0.3)  # the walks' copies are all stale now
        ids = zipf_ids(range(1, plan.directory + 1), plan.trace_lookups, s=plan.zipf_s)
        before = (await g.stats())["customer_gets"]
        lookups = await g.open_loop(
            [str(i) for i in ids], poisson_offsets(len(ids), plan.trace_seconds)
        )
        await g.settle(lookups)
        requests = (await g.stats())["customer_gets"] - before
    bound = lower_bound(
        [(lk.sent, int(lk.text)) for lk in lookups], plan.trace_ttl + plan.latency_ms / 1000
    )
    ratio = round(requests / bound, 3) if bound else None
    return {"requests": requests, "bound": bound, "vs_bound": ratio,
            "card_share": _share(lookups, "card", "stale")}  # fmt: skip


async def _overload(plan: Plan, log_dir: Any, redis_url: str | None) -> Metrics:
    """10x the key's budget over three replicas, every customer known but expired."""
    fakes = FakesSpec(plan.directory, 0, plan.latency_ms, plan.rate_limit)
    async with group(plan, fakes, log_dir) as g:
        for _ in range(3):
            await g.add(_spec(redis_url, cache_ttl=plan.overload_ttl))
        await asyncio.sleep(plan.overload_ttl + 0.3)
        rng = random.Random(5)
        n = plan.overload_factor * plan.rate_limit
        ids = [str(rng.randint(1, plan.directory)) for _ in range(n)]
        before = (await g.stats())["statuses"]
        lookups = await g.open_loop(ids, poisson_offsets(n, plan.overload_seconds))
        await g.settle(lookups)
        after = (await g.stats())["statuses"]
    rejected = after.get("429", 0) - before.get("429", 0)
    return {"lookups": n, "upstream_429": rejected, "card_share": _share(lookups, "card", "stale")}


async def _new_replica(plan: Plan, log_dir: Any, redis_url: str) -> Metrics:
    """A second replica starting while Redis holds the first one's `customers` list."""
    fakes = FakesSpec(plan.customers, 0, plan.latency_ms, plan.walk_rate_limit)
    async with group(plan, fakes, log_dir) as g:
        walk = await g.add(_spec(redis_url), timeout=300)
        lists = (await g.stats())["list_calls"]
        ready = await g.add(_spec(redis_url))
        pages = (await g.stats())["list_calls"] - lists
    return {"first_walk_s": round(walk, 2), "ready_s": round(ready, 2), "pages": pages}


async def _warm(plan: Plan, log_dir: Any, redis_url: str | None) -> Metrics:
    """Warm lookups (in every replica's directory) at a modest open-loop rate."""
    async with group(plan, FakesSpec(plan.directory, 0, plan.latency_ms, UNLIMITED), log_dir) as g:
        for _ in range(3):
            await g.add(_spec(redis_url))
        rng = random.Random(3)
        ids = [str(rng.randint(1, plan.directory)) for _ in range(plan.warm_lookups)]
        await g.settle(await g.open_loop(ids, [i / 100 for i in range(len(ids))]))
        lookups = await g.open_loop(ids, [i / plan.warm_rate for i in range(len(ids))])
        await g.settle(lookups)
    cards = [ms for lk in lookups if (ms := lk.card_ms) is not None]
    return {"card_p50_ms": _ms(percentile(cards, 50)), "card_p99_ms": _ms(percentile(cards, 99))}


async def _outage(plan: Plan, log_dir: Any) -> Metrics:
    """Lookups at 100/s over three replicas while Redis hangs (SIGSTOP), then is stopped."""
    with redis_server() as (url, proc):
        fakes = FakesSpec(plan.directory, 0, plan.latency_ms, UNLIMITED)
        async with group(plan, fakes, log_dir) as g:
            for _ in range(3):
                await g.add(_spec(url, cache_ttl=plan.trace_ttl))
            rng = random.Random(9)
            n = int(100 * plan.overload_seconds)
            ids = [str(rng.randint(1, plan.directory)) for _ in range(n)]
            offsets = [i / 100 for i in range(n)]

            async def fault() -> None:
                await asyncio.sleep(plan.overload_seconds / 3)
                os.kill(proc.pid, signal.SIGSTOP)
                await asyncio.sleep(plan.overload_seconds / 3)
                os.kill(proc.pid, signal.SIGCONT)
                proc.terminate()

            faults = asyncio.create_task(fault())
            lookups = await g.open_loop(ids, offsets)
            await faults
            await g.settle(lookups)
    acks = [lk.ack_ms for lk in lookups if lk.status == 200]
    return {
        "ack_p99_ms": _ms(percentile(acks, 99)),
        "answered_share": _share(lookups, "card", "stale"),
    }


async def _ack_open_loop(plan: Plan, log_dir: Any, rate: float = 500.0) -> Metrics:
    """One bot, warm lookups sent at `rate`/s whatever came back (not a closed loop)."""
    async with group(plan, FakesSpec(plan.directory, 0, plan.latency_ms, UNLIMITED), log_dir) as g:
        await g.add(_spec(None))
        rng = random.Random(11)
        warm = [str(rng.randint(1, plan.directory)) for _ in range(plan.warmup)]
        await g.settle(await g.open_loop(warm, [i / 100 for i in range(len(warm))]))
        n = int(rate * max(plan.step_seconds, 1.0) * 2)
        ids = [str(rng.randint(1, plan.directory)) for _ in range(n)]
        lookups = await g.open_loop(ids, [i / rate for i in range(n)])
        await g.settle(lookups)
    acks = [lk.ack_ms for lk in lookups if lk.status == 200]
    return {"ack_p50_ms": _ms(percentile(acks, 50)), "ack_p99_ms": _ms(percentile(acks, 99)),
            "errors": n - len(acks)}  # fmt: skip


async def replicas(ctx: Any, subject: str) -> Metrics:
    """The replicas section (the bot only: the baseline has no Redis mode)."""
    if subject != "bot":
        return {}
    plan, logs = ctx.plan, ctx.log_dir
    out: Metrics = {}
    if plan.quick:  # the smoke test: the shared trace and a new replica, two processes each
        with redis_server() as (url, _):
            shared = await _trace(plan, logs, url, 2)
            fresh = await _new_replica(plan, logs, url)
        out["replicas_trace_vs_bound_redis"] = shared["vs_bound"]
        out["replicas_new_ready_s"] = fresh["ready_s"]
        out["replicas_new_list_pages"] = fresh["pages"]
        return out
    with redis_server() as (url, _):
        shared, alone = await _trace(plan, logs, url, 3), await _trace(plan, logs, None, 3)
        out["replicas_trace_requests_redis"] = shared["requests"]
        out["replicas_trace_requests_alone"] = alone["requests"]
        out["replicas_trace_lower_bound"] = shared["bound"]
        out["replicas_trace_vs_bound_redis"] = shared["vs_bound"]
        out["replicas_trace_vs_bound_alone"] = alone["vs_bound"]
    for label, redis_url in (("redis", True), ("alone", False)):
        with redis_server() as (url, _):
            over = await _overload(plan, logs, url if redis_url else None)
        out[f"replicas_overload_429_{label}"] = over["upstream_429"]
        out[f"replicas_overload_card_share_{label}"] = over["card_share"]
    with redis_server() as (url, _):
        fresh = await _new_replica(plan, logs, url)
    out["replicas_new_ready_s"] = fresh["ready_s"]
    out["replicas_new_list_pages"] = fresh["pages"]
    out["replicas_first_walk_s"] = fresh["first_walk_s"]
    with redis_server() as (url, _):
        warm_redis = await _warm(plan, logs, url)
    warm_alone = await _warm(plan, logs, None)
    out["replicas_warm_card_p50_ms_redis"] = warm_redis["card_p50_ms"]
    out["replicas_warm_card_p50_ms_alone"] = warm_alone["card_p50_ms"]
    outage = await _outage(plan, logs)
    out["replicas_outage_ack_p99_ms"] = outage["ack_p99_ms"]
    out["replicas_outage_answered_share"] = outage["answered_share"]
    ack = await _ack_open_loop(plan, logs)
    out["ack_open_loop_500_p50_ms"] = ack["ack_p50_ms"]
    out["ack_open_loop_500_p99_ms"] = ack["ack_p99_ms"]
    out["ack_open_loop_500_errors"] = ack["errors"]
    return out
