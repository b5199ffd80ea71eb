"""`python -m benchmarks.lists`: lists of customers end to end over 100,000 generated customers.

The real bot runs in this process (bot/sandbox/stack.py) over loopback, against the sandbox
Pivotal holding the generated customers and the fake Slack. Signed webhooks tell health and
owner for some of them (the asker owns about a quarter of those), so `mine` and
`sort:health` have something to find. Once the directory is walked and the lists index built
(its first build is reported as a figure), signed `/customer <filter>` commands go one at a
time: command -> answer is the ack when it carries the list, else the list's arrival at the
response_url. Next/Previous presses are timed to the redrawn page at the response_url.
Pivotal requests are counted from the first measured command to the last answer (target 0).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from benchmarks.load import percentile
from benchmarks.plan import UNLIMITED, Plan
from benchmarks.procs import scratch_database
from bot.blocks import ids
from bot.lookup.filters import Filter, parse_filter
from bot.sandbox.pivotal.data import generate_customers
from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.pivotal.signals import DEMO_USER_EMAIL, webhook_fields
from bot.sandbox.slack.payloads import USER_ID
from bot.sandbox.stack import LocalStack, local_stack

Metrics = dict[str, Any]
SECRET = new_secret()
TARGET_MS = 50.0
# (kind, filter): single fields, four fields, another sort, and `mine` (a known email).
FILTERS = (
    ("single", "status:at_risk"),
    ("single", "plan:enterprise"),
    ("single", "mrr>1k"),
    ("four-field", "status:active plan:enterprise mrr>=1.5k updated<365d"),
    ("sort", "status:active sort:name"),
    ("sort", "plan:growth,starter sort:health"),
    ("mine", "mine"),
    ("mine", "mine status:active,at_risk sort:health"),
)


class Context(Protocol):
    plan: Plan
    log_dir: Path


@dataclass
class Sizes:
    customers: int
    told: int  # customers whose health and owner a webhook told
    rounds: int  # commands per filter, and page presses per filter


def sizes(plan: Plan) -> Sizes:
    if plan.quick:
        return Sizes(plan.surface_customers, 200, 10)
    return Sizes(plan.surface_customers, 2000, 60)


class Timer:
    """Sends signed commands and presses, and times each to the message the person sees."""

    def __init__(self, stack: LocalStack):
        self.stack = stack
        self.driver = stack.driver
        self.seen = 0  # response_url posts already looked at

    async def _posted(self, token: str, timeout: float = 30.0) -> dict[str, Any]:
        responses = self.stack.slack.responses
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for post in responses[self.seen :]:
                if post.token == token:
                    self.seen = len(responses)
                    return dict(post.body)
            await asyncio.sleep(0.0005)
        raise TimeoutError(f"nothing reached response_url {token}")

    async def command(self, text: str) -> tuple[float, bool, dict[str, Any]]:
        """ms from sending `/customer text` to the list; whether the ack carried it; the list."""
        started = time.perf_counter()
        ack, token = await self.driver.command(text)
        ack.raise_for_status()
        if ack.content:
            message, in_ack = dict(ack.json()), True
        else:
            message, in_ack = await self._posted(token), False
        return (time.perf_counter() - started) * 1000, in_ack, message

    async def page(self, filter_text: str, page: int) -> tuple[float, dict[str, Any]]:
        """ms from pressing a page button (page `page`) to the redrawn list."""
        started = time.perf_counter()
        value = ids.list_value(filter_text, page)
        ack, token = await self.driver.action(f"{ids.LIST_PAGE}:1", value)
        ack.raise_for_status()
        message = await self._posted(token)
        return (time.perf_counter() - started) * 1000, message


def _canonical(text: str) -> str:
    parsed = parse_filter(text)
    assert isinstance(parsed, Filter), parsed
    return parsed.canonical()


def _count(message: dict[str, Any]) -> int:
    head = str(message["blocks"][0]["text"]["text"])
    if not head.startswith("*"):
        return 0
    return int(head[1:].split("*", 1)[0].replace(",", ""))


async def _tell(stack: LocalStack, customers: list[dict[str, Any]]) -> None:
    """Signed partial webhooks with each customer's health and owner (no refetch needed)."""
    hooks = stack.deps.hooks
    assert hooks is not None
    sender = WebhookSender(f"{stack.url}/pivotal/webhooks", SECRET, stack.driver.http)
    before = hooks.applied
    for customer in customers:
        told = webhook_fields(customer)
        told.pop("at_risk", None)
        obj = {"id": f"cus_{customer['display_id']}", "display_id": customer["display_id"], **told}
        event = envelope("customer.updated", obj, previous=dict.fromkeys(told))
        response = await sender.deliver(event)
        response.raise_for_status()
    deadline = time.monotonic() + 60
    while hooks.applied < before + len(customers) or len(hooks.refetcher):
        if time.monotonic() > deadline:
            raise TimeoutError("the webhooks were not all applied")
        await asyncio.sleep(0.01)


async def measure(n: Sizes, database: str, report: Callable[[str], None] = print) -> Metrics:
    started = time.monotonic()
    generated = generate_customers(n.customers, seed=3)
    pivotal = SandboxPivotal(generated, rate_limit=UNLIMITED)
    report(f"{n.customers:,} customers generated in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    async with local_stack(pivotal=pivotal, log_level="WARNING", pivotal_webhook_secret=SECRET,
                           database_url=database) as stack:  # fmt: skip
        walk = time.monotonic() - started
        stack.slack.workspace.set_user(USER_ID, email=DEMO_USER_EMAIL)
        lists = stack.deps.lists
        await _tell(stack, generated[:: max(1, len(generated) // n.told)][: n.told])
        started = time.monotonic()
        await lists.index()
        build = time.monotonic() - started
        report(f"walked in {walk:.1f} s; lists index built in {build:.2f} s")
        timer = Timer(stack)
        for _, text in FILTERS:  # not timed: users.info for `mine`, first use of each path
            await timer.command(text)
        stack.pivotal.clear_requests()
        builds = lists.builds
        commands: list[float] = []
        pages: list[float] = []
        in_ack = 0
        rows: list[tuple[str, str, int, float, float, float, float]] = []
        for kind, text in FILTERS:
            times: list[float] = []
            count = 0
            for _ in range(n.rounds):
                ms, acked, message = await timer.command(text)
                times.append(ms)
                in_ack += acked
                count = _count(message)
            flips: list[float] = []
            canonical = _canonical(text)
            for i in range(n.rounds):
                ms, _ = await timer.page(canonical, 2 if i % 2 == 0 else 1)
                flips.append(ms)
            commands += times
            pages += flips
            rows.append((kind, text, count, *_p(times), *_p(flips)))
        assert await stack.settle()
        requests = len(stack.pivotal.requests)
        rebuilt = lists.builds - builds
    report(f"{'filter':<66} {'matches':>8} {'cmd p50':>8} {'p99':>6} {'page p50':>9} {'p99':>6}")
    for kind, text, count, c50, c99, p50, p99 in rows:
        label = f"{text} ({kind})"
        report(f"{label:<66} {count:>8,} {c50:>8.2f} {c99:>6.2f} {p50:>9.2f} {p99:>6.2f}")
    return {
        "lists_customers": n.customers,
        "lists_walk_s": round(walk, 2),
        "lists_index_build_s": round(build, 2),
        "lists_command_p50_ms": _round(percentile(commands, 50)),
        "lists_command_p99_ms": _round(percentile(commands, 99)),
        "lists_command_in_ack_share": round(in_ack / len(commands), 4),
        "lists_single_p99_ms": _worst(rows, "single"),
        "lists_four_field_p99_ms": _worst(rows, "four-field"),
        "lists_mine_p99_ms": _worst(rows, "mine"),
        "lists_page_p50_ms": _round(percentile(pages, 50)),
        "lists_page_p99_ms": _round(percentile(pages, 99)),
        "lists_pivotal_requests": requests,
        "lists_index_rebuilds": rebuilt,
    }


def _p(times: list[float]) -> tuple[float, float]:
    return percentile(times, 50) or 0.0, percentile(times, 99) or 0.0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _worst(rows: list[tuple[str, str, int, float, float, float, float]], kind: str) -> float:
    return round(max(row[4] for row in rows if row[0] == kind), 2)


async def lists(ctx: Context, subject: str) -> Metrics:
    """The bench's scenario: the bot only (the baseline has no lists)."""
    if subject != "bot":
        return {}
    database = scratch_database(ctx.log_dir, "lists")
    return await measure(sizes(ctx.plan), database, report=lambda _: None)


ROWS: tuple[tuple[str, str, bool], ...] = (
    ("lists_command_p50_ms", "list command→answer p50 ms (100k)", False),
    ("lists_command_p99_ms", "list command→answer p99 ms", False),
    ("lists_command_in_ack_share", "  answered in the ack", True),
    ("lists_four_field_p99_ms", "  four-field filter p99 ms", False),
    ("lists_mine_p99_ms", "  mine p99 ms", False),
    ("lists_page_p50_ms", "list page press→page p50 ms", False),
    ("lists_page_p99_ms", "list page press→page p99 ms", False),
    ("lists_pivotal_requests", "lists and pages: Pivotal requests", False),
    ("lists_index_build_s", "lists index first build s (100k)", False),
)

SCENARIOS: dict[str, Callable[[Any, str], Awaitable[Metrics]]] = {"lists": lists}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lists", description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=60, help="commands and presses per filter")
    parser.add_argument("--told", type=int, default=2000, help="customers webhooks tell of")
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pivotal-bench-lists-") as folder:
        database = scratch_database(Path(folder), "lists")
        metrics = asyncio.run(measure(Sizes(args.customers, args.told, args.rounds), database))
    print()
    for key, value in metrics.items():
        print(f"  {key:<30} {value}")
    verdicts = (
        ("list command→answer p99", f"<= {TARGET_MS:g} ms", metrics["lists_command_p99_ms"]
         <= TARGET_MS),
        ("list page press→page p99", f"<= {TARGET_MS:g} ms", metrics["lists_page_p99_ms"]
         <= TARGET_MS),
        ("Pivotal requests for lists and pages", "= 0", metrics["lists_pivotal_requests"] == 0),
    )  # fmt: skip
    print()
    for name, wanted, ok in verdicts:
        print(f"  {name:<38} {wanted:<12} {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
