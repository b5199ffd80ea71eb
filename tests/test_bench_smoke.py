"""`make bench` keeps working: the whole bench on tiny settings, every figure present.

No timing is asserted; the bench itself reports PASS/FAIL against its targets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK = (sys.executable, "-m", "benchmarks", "--quick")

METRICS = (
    "ack_p50_ms",
    "ack_p95_ms",
    "ack_p99_ms",
    "cpu_ms_per_command",
    "card_warm_p50_ms",
    "card_warm_p99_ms",
    "card_cold_p50_ms",
    "card_cold_p99_ms",
    "throughput_cps",
    "throughput_steps",
    "trace_requests_per_1000",
    "trace_lower_bound_per_1000",
    "trace_vs_bound",
    "burst_requests",
    "overload_cached_card_share",
    "overload_cached_rate_limited",
    "overload_uncached_card_share",
    "overload_card_share",
    "memory_rss_mb",
    "walk_seconds",
)
# Figures that only the bot has (the baseline keeps no directory) may be null there.
BOT_ONLY = {"walk_seconds"}
# The type-ahead, search and Refresh figures: the baseline has none of those surfaces.
SURFACES = (
    "options_p50_ms",
    "options_p99_ms",
    "search_p99_ms",
    "surfaces_rss_mb",
    "surfaces_mb_per_1000",
    "surfaces_walk_s",
    "refresh_upstream",
    "refresh_upstream_per_window",
)

# Live cards across three replicas on one Redis (the webhook_replicas scenario).
LIVE_REPLICAS = (
    "replicas_burst_live_card_updates",
    "replicas_burst_live_most_per_card",
    "replicas_burst_live_updates_per_min_max",
)


# The webhook answer with the durable inbox, on SQLite only here (no PostgreSQL to start).
INBOX = ("inbox_sqlite_p50_ms", "inbox_sqlite_p99_ms", "inbox_sqlite_max_ms")

# Lists at the surfaces' size (the lists scenario): command and page presses, requests, build.
LISTS = ("lists_command_p50_ms", "lists_command_p99_ms", "lists_page_p99_ms",
         "lists_pivotal_requests", "lists_index_build_s")  # fmt: skip

# Replica targets whose scenarios --quick leaves out (they need many processes and minutes),
# and the PostgreSQL inbox this test leaves out.
FULL_RUN_ONLY = frozenset(
    {
        "ack p99 at 500 commands/s, open loop",
        "3 replicas + Redis at 10x the budget",
        "warm card p50, Redis vs in-process",
        "Redis outage: ack p99, answered",
        "webhook answer p99, PostgreSQL inbox",
    }
)


def test_quick_bench_reports_every_metric_for_bot_and_baseline(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [*QUICK, "--json", str(out), "--inbox-databases", "sqlite"],
        cwd=tmp_path,  # where a bot left on the default DATABASE_URL would write its file
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    for subject in ("bot", "baseline"):
        figures = report["results"][subject]
        missing = [key for key in METRICS if key not in figures]
        assert not missing, f"{subject} lacks {missing}"
        empty = [
            k for k in METRICS if figures[k] is None and not (k in BOT_ONLY and subject != "bot")
        ]
        assert not empty, f"{subject} has no value for {empty}"
    bot = report["results"]["bot"]
    assert not [k for k in SURFACES if bot.get(k) is None], bot
    assert bot["refresh_clicks"] > 0 and bot["options_answered"] > 0
    assert not [k for k in LIVE_REPLICAS if bot.get(k) is None], bot
    assert bot["replicas_burst_live_card_updates"] >= bot["replicas_burst_live_cards"]
    assert not [k for k in INBOX if bot.get(k) is None], bot
    assert bot["inbox_sqlite_refused"] == 0
    assert bot["inbox_sqlite_done"] == bot["inbox_sqlite_events"] > 0
    assert "inbox_postgresql_p99_ms" not in bot
    assert not [k for k in LISTS if bot.get(k) is None], bot
    assert not list(tmp_path.glob("pivotal-bot.db*")), "a bot used the default database file"
    verdicts = {row["target"]: row["result"] for row in report["targets"]}
    assert verdicts and all(
        result in ("PASS", "FAIL")
        for target, result in verdicts.items()
        if target not in FULL_RUN_ONLY
    ), verdicts
    assert "ack p99" in done.stdout  # the table was printed
