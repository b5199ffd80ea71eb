"""Command line of `python -m benchmarks`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.inbox import DATABASES
from benchmarks.plan import Plan
from benchmarks.report import evaluate, ratios, setup_notes, table
from benchmarks.scenarios import SCENARIOS, Context

SUBJECTS = ("bot", "baseline")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--latency-ms", type=float, help="sandbox Pivotal latency (150)")
    parser.add_argument("--rate-limit", type=int, help="Pivotal key budget per minute (60)")
    parser.add_argument("--customers", type=int, help="directory size for memory (10000)")
    parser.add_argument("--quick", action="store_true", help="tiny settings (smoke test)")
    parser.add_argument("--json", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="some scenarios")
    parser.add_argument("--subjects", nargs="+", choices=SUBJECTS, default=list(SUBJECTS))
    parser.add_argument("--profile", type=Path, help="pyinstrument the throughput run into DIR")
    parser.add_argument("--keep-logs", action="store_true", help="keep the child processes' logs")
    parser.add_argument("--inbox-databases", nargs="+", choices=DATABASES,
                        help="where the inbox scenario keeps the inbox (both)")  # fmt: skip
    return parser.parse_args(argv)


async def run(plan: Plan, args: argparse.Namespace, log_dir: Path) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {subject: {} for subject in args.subjects}
    names = args.only or list(SCENARIOS)
    ctx = Context(plan, log_dir, args.profile)
    for name in names:
        for subject in args.subjects:
            started = time.monotonic()
            print(f"  {name:<11} {subject:<9}", end="", flush=True)
            gc.collect()
            gc.disable()  # no collector pauses in the load process while it measures
            try:
                metrics = await SCENARIOS[name](ctx, subject)
            finally:
                gc.enable()
            results[subject].update(metrics)
            print(f" {time.monotonic() - started:5.1f} s", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    databases = tuple(args.inbox_databases) if args.inbox_databases else None
    plan = Plan.make(quick=args.quick, latency_ms=args.latency_ms, rate_limit=args.rate_limit,
                     customers=args.customers, inbox_databases=databases)  # fmt: skip
    log_dir = Path(tempfile.mkdtemp(prefix="pivotal-bench-"))
    print(f"benchmarks: bot vs baseline; child logs in {log_dir}", flush=True)
    started = time.monotonic()
    results = asyncio.run(run(plan, args, log_dir))
    elapsed = time.monotonic() - started
    print()
    print(table(results, plan))
    print("\nHow each scenario ran:")
    for name, note in setup_notes(plan).items():
        print(f"  {name:<11} {note}")
    report = {
        "plan": plan.as_dict(),
        "setup": setup_notes(plan),
        "results": results,
        "targets": evaluate(results.get("bot", {})),
        "ratios_bot_better": ratios(results),
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "elapsed_seconds": round(elapsed, 1),
        "logs": str(log_dir) if args.keep_logs else None,
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if not args.keep_logs:  # a run that fails before here keeps them, and said where
        shutil.rmtree(log_dir, ignore_errors=True)
    print(f"\n{elapsed:.0f} s; results in {args.json}")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))
