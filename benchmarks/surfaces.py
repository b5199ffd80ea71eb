"""Type-ahead, search and Refresh at the size of a large workspace (100,000 customers).

`surfaces` walks a generated directory of `surface_customers` in the bot, then measures:
the options endpoint end to end (signed block_suggestion over loopback, ack p50/p99), the
search itself in this process over an index of the same size, the bot's resident memory
after the walk, and Refresh clicked 20 times a second on one customer (upstream requests
per coalescing window). The baseline has no picker or Refresh, so it is skipped.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from benchmarks.load import percentile
from benchmarks.plan import UNLIMITED
from benchmarks.procs import FakesSpec, SubjectSpec, Target, running
from benchmarks.wire import WireClient
from bot.blocks import ids
from bot.lookup.heap import settle_heap
from bot.lookup.refresh import COALESCE_SECONDS
from bot.lookup.search import SearchIndex, SearchRow
from bot.sandbox.pivotal.data import generate_customers
from bot.sandbox.slack.driver import sign
from bot.sandbox.slack.payloads import APP_ID, TEAM_ID, USER_ID
from bot.sandbox.stack import SIGNING_SECRET

Metrics = dict[str, Any]


def queries(names: list[str], n: int, seed: int) -> list[str]:
    """What people type: prefixes of 1..8 letters, whole words, and one-letter typos."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        name = rng.choice(names).lower()
        kind = rng.random()
        if kind < 0.5:
            out.append(name[: rng.randint(1, 8)])
        elif kind < 0.75:
            out.append(" ".join(reversed(name.split()[:2])))
        else:
            at = rng.randrange(len(name))
            out.append(name[:at] + rng.choice("aeiourst") + name[at + 1 :])
    return out


def _interaction(host: str, payload: dict[str, Any]) -> bytes:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"Host": host, "Content-Type": "application/x-www-form-urlencoded",
               "Content-Length": str(len(body)), **sign(body, secret=SIGNING_SECRET)}  # fmt: skip
    head = "POST /slack/events HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode() + body


def _suggestion(host: str, value: str) -> bytes:
    return _interaction(host, {
        "type": "block_suggestion", "user": {"id": USER_ID, "team_id": TEAM_ID},
        "container": {"type": "message", "is_ephemeral": True}, "api_app_id": APP_ID,
        "action_id": ids.PICKER, "block_id": ids.PICKER_BLOCK, "value": value,
        "team": {"id": TEAM_ID, "domain": "sandbox"},
    })  # fmt: skip


def _refresh_click(host: str, response_url: str) -> bytes:
    return _interaction(host, {
        "type": "block_actions", "user": {"id": USER_ID, "team_id": TEAM_ID},
        "team": {"id": TEAM_ID, "domain": "sandbox"}, "api_app_id": APP_ID,
        "container": {"type": "message", "is_ephemeral": True, "channel_id": "C0GENERAL"},
        "channel": {"id": "C0GENERAL"}, "response_url": response_url, "trigger_id": "t",
        "actions": [{"type": "button", "action_id": ids.REFRESH_CUSTOMER, "block_id": "b",
                     "value": ids.encode_customer_value("1"), "action_ts": "1"}],
    })  # fmt: skip


async def _options_load(target: Target, texts: list[str], concurrency: int) -> list[float]:
    url = urlsplit(target.url)
    wires = [WireClient(url.hostname or "127.0.0.1", url.port or 80) for _ in range(concurrency)]
    target.closers.extend(w.close for w in wires)
    requests = iter([_suggestion(url.netloc, t) for t in texts])
    times: list[float] = []

    async def sender(wire: WireClient) -> None:
        for raw in requests:
            started = time.monotonic()
            status, body = await wire.request(raw)
            if status == 200 and "options" in json.loads(body or b"{}"):
                times.append((time.monotonic() - started) * 1000)

    await asyncio.gather(*(sender(w) for w in wires))
    return times


async def _refresh_storm(target: Target, rate: float, seconds: float) -> tuple[int, int]:
    """Clicks at `rate`/s on one customer for `seconds`; returns (clicks acked, upstream GETs)."""
    url = urlsplit(target.url)
    wire = WireClient(url.hostname or "127.0.0.1", url.port or 80)
    target.closers.append(wire.close)
    before = (await target.stats())["customer_gets"]
    count = int(rate * seconds)
    clicks = [_refresh_click(url.netloc, target.response_base + f"r{i}") for i in range(count)]
    start = time.monotonic()

    async def click(i: int, raw: bytes) -> int:
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        status, _ = await wire.request(raw)
        return status

    statuses = await asyncio.gather(*(click(i, raw) for i, raw in enumerate(clicks)))
    await asyncio.sleep(0.5)  # the last clicks' fetches finish after their acks
    after = (await target.stats())["customer_gets"]
    return sum(s == 200 for s in statuses), after - before


def search_in_process(customers: int, texts: list[str]) -> Metrics:
    rows = [SearchRow(c["display_id"], c["name"], c["slug"], c["domain"],
                      c["status"] in ("archived", "churned"))
            for c in generate_customers(customers, seed=7)]  # fmt: skip
    started = time.monotonic()
    index = SearchIndex(rows)
    build = time.monotonic() - started
    del rows
    settle_heap()  # as the directory does after each walk
    times = []
    for text in texts:
        t0 = time.perf_counter()
        index.search(text, limit=100)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "search_p50_ms": round(percentile(times, 50) or 0, 3),
        "search_p99_ms": round(percentile(times, 99) or 0, 3),
        "search_max_ms": round(max(times), 3),
        "search_index_build_s": round(build, 2),
    }


async def surfaces(ctx: Any, subject: str) -> Metrics:
    """Options p50/p99 end to end, search p99, RSS after the walk, Refresh coalescing."""
    if subject != "bot":
        return {}
    plan = ctx.plan
    n = plan.surface_customers
    names = [c["name"] for c in generate_customers(min(n, 5000), seed=7)]
    texts = queries(names, plan.surface_queries, 11)
    metrics = search_in_process(n, texts)
    fakes = FakesSpec(n, 0, plan.surface_latency_ms, UNLIMITED)
    async with running(fakes, SubjectSpec(subject), log_dir=ctx.log_dir, ready_timeout=600) as t:
        rss = t.rss_mb()
        await _options_load(t, texts[:20], 4)  # warm-up: connections, lazy imports
        times = await _options_load(t, texts, plan.surface_concurrency)
        clicks, upstream = await _refresh_storm(t, 20.0, plan.surface_refresh_seconds)
        info = t.info
    windows = math.ceil(plan.surface_refresh_seconds / COALESCE_SECONDS)
    return {
        **metrics,
        "options_p50_ms": round(percentile(times, 50) or 0, 2),
        "options_p99_ms": round(percentile(times, 99) or 0, 2),
        "options_answered": len(times),
        "surfaces_customers": info["customers"],
        "surfaces_rss_mb": round(rss, 1),
        "surfaces_mb_per_1000": round(rss / max(info["customers"] or 1, 1) * 1000, 2),
        "surfaces_walk_s": info["walk_seconds"] and round(info["walk_seconds"], 2),
        "refresh_clicks": clicks,
        "refresh_upstream": upstream,
        "refresh_upstream_per_window": round(upstream / windows, 2),
    }
