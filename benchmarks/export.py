"""`python -m benchmarks.export`: Export CSV of 10,000 of 100,000 customers, click to upload.

The real bot runs in this process (bot/sandbox/stack.py: uvicorn, the sandbox Pivotal, the
fake Slack), its directory loaded with `customers` generated customers and webhook signals
(health, owner) for about 70 % of them. A signed click on the list's Export CSV button for
``status:at_risk`` (about a tenth of them) is timed to the first call of the upload
(files.getUploadURLExternal, after the list was evaluated and the CSV written) and to the
file shared in the asker's DM (files.completeUploadExternal). Then one more click under
tracemalloc: the peak of memory allocated while it runs (the fake Slack's copy of the
file included). Pivotal requests are counted from the first click to the last.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from benchmarks.plan import Plan
from benchmarks.procs import scratch_database
from bot.blocks import ids
from bot.pivotal.models import Customer, Signals
from bot.sandbox.pivotal.data import generate_customers
from bot.sandbox.stack import LocalStack, local_stack

Metrics = dict[str, Any]

FILTER = "status:at_risk"
CLICKS = 5
# (target, wanted, figure, at most): the figure must be at most the limit.
LIMITS: tuple[tuple[str, str, str, float], ...] = (
    ("Export CSV: click → upload call", "<= 1 s", "export_click_to_upload_ms", 1000.0),
    ("Export CSV: memory growth", "<= 50 MB", "export_memory_mb", 50.0),
    ("Export CSV: Pivotal requests", "= 0", "export_pivotal_requests", 0.0),
)
ROWS: tuple[tuple[str, str, bool], ...] = (
    ("export_rows", "Export CSV: rows in the file", True),
    ("export_click_to_upload_ms", "  click → upload call ms (median)", False),
    ("export_click_to_upload_max_ms", "  click → upload call ms (worst)", False),
    ("export_click_to_shared_ms", "  click → file shared ms (median)", False),
    ("export_memory_mb", "  memory growth MB (tracemalloc)", False),
    ("export_pivotal_requests", "  Pivotal requests", False),
)


class Context(Protocol):
    plan: Plan
    log_dir: Path


def _load(stack: LocalStack, customers: int, seed: int) -> None:
    """`customers` generated customers in the directory, signals for about 70 % of them."""
    deps = stack.deps
    bodies = generate_customers(customers, seed=seed)
    deps.directory.load(Customer.model_validate(body) for body in bodies)
    del bodies
    rng = random.Random(seed)
    for display_id in range(1, customers + 1):
        if rng.random() < 0.7:
            owner = f"owner{rng.randrange(40)}@example.com"
            health = rng.randrange(101)
            deps.signals.put(display_id, Signals(health_score=health, owner_email=owner))


def _button(text: str) -> dict[str, Any]:
    """The Export CSV button as the list draws it."""
    return {"type": "button", "action_id": f"{ids.LIST_EXPORT}:0",
            "text": {"type": "plain_text", "text": "Export CSV"},
            "value": ids.list_value(text, 1), "block_id": "b1", "action_ts": "1"}  # fmt: skip


async def _click(stack: LocalStack, button: dict[str, Any], n: int) -> tuple[float, float]:
    """Press Export; seconds from the click to the upload's first call and to the share."""
    started = time.monotonic()
    ack, token = await stack.driver.press(button)
    assert ack.status_code == 200, ack.text
    told = await stack.driver.answer(token, timeout=60)  # after the file was shared
    assert "Sent" in str(told.get("text")), told
    asked = stack.slack.calls_to("files.getUploadURLExternal")[n - 1]
    shared = stack.slack.calls_to("files.completeUploadExternal")[n - 1]
    return asked.at - started, shared.at - started


async def measure(customers: int, *, clicks: int = CLICKS, seed: int = 1, log_dir: Path) -> Metrics:
    """The figures for one run (see the module docstring)."""
    database = scratch_database(log_dir, "export")
    async with local_stack(log_level="WARNING", database_url=database,
                           directory_refresh_seconds=86_400) as stack:  # fmt: skip
        _load(stack, customers, seed)
        await stack.deps.lists.index()  # the index the list itself was drawn from
        button = _button(FILTER)
        stack.pivotal.clear_requests()
        to_upload: list[float] = []
        to_shared: list[float] = []
        for n in range(1, clicks + 1):
            upload, shared = await _click(stack, button, n)
            to_upload.append(upload)
            to_shared.append(shared)
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            await _click(stack, button, clicks + 1)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        requests = len(stack.pivotal.requests)
        upload = stack.slack.workspace.completed()[-1]
        rows = upload.text.count("\r\n") - 1  # CRLF ends each record; names keep bare "\n"
    return {
        "export_customers": customers,
        "export_filter": FILTER,
        "export_rows": rows,
        "export_bytes": len(upload.data or b""),
        "export_clicks": clicks,
        "export_click_to_upload_ms": _ms(statistics.median(to_upload)),
        "export_click_to_upload_max_ms": _ms(max(to_upload)),
        "export_click_to_shared_ms": _ms(statistics.median(to_shared)),
        "export_click_to_shared_max_ms": _ms(max(to_shared)),
        "export_memory_mb": round((peak - before) / 1e6, 1),
        "export_pivotal_requests": requests,
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def export(ctx: Context, subject: str) -> Metrics:
    """The bot only: the baseline has no lists."""
    if subject != "bot":
        return {}
    return await measure(ctx.plan.surface_customers, log_dir=ctx.log_dir)


SCENARIOS = {"export": export}


def verdicts(figures: Metrics) -> list[tuple[str, str, str]]:
    """(target, wanted, PASS / FAIL / n/a) for each of LIMITS."""
    out = []
    for name, wanted, key, limit in LIMITS:
        value = figures.get(key)
        out.append((name, wanted, "n/a" if value is None else "PASS" if value <= limit else "FAIL"))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export", description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--clicks", type=int, default=CLICKS, help="timed clicks")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pivotal-bench-export-") as folder:
        started = time.monotonic()
        figures = asyncio.run(measure(args.customers, clicks=args.clicks, seed=args.seed,
                                      log_dir=Path(folder)))  # fmt: skip
    size = figures["export_bytes"] / 1e6
    print(f"{args.customers:,} customers; `{FILTER}` matches {figures['export_rows']:,} "
          f"({size:.1f} MB of CSV); {args.clicks} timed clicks")  # fmt: skip
    for key, label, _ in ROWS:
        print(f"{label:<40} {figures[key]:>10,}")
    print(f"\n{'target':<38} {'wanted':<12} result")
    for name, wanted, result in verdicts(figures):
        print(f"{name:<38} {wanted:<12} {result}")
    print(f"\n{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
