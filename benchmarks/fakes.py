"""Fakes process: the sandbox Pivotal and the fake Slack on loopback, plus bench controls.

`python -m benchmarks.fakes --customers N --hidden M --latency-ms L --rate-limit R` prints one
JSON line with the URLs, then serves until stdin closes. Customers N+1..N+M are held back
and `POST /_bench/reveal` adds them later, so they are created after the bot's first walk.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import Any

from aiohttp import web

from benchmarks.child import MAX_LIFETIME, announce, stdin_closed
from bot.sandbox.data import generate_customers
from bot.sandbox.server import SandboxPivotal
from bot.sandbox.slack import FakeSlack


class Controls:
    """`/_bench/...`: request counts, response_url posts and late customers."""

    def __init__(self, pivotal: SandboxPivotal, slack: FakeSlack, hidden: list[dict[str, Any]]):
        self.pivotal = pivotal
        self.slack = slack
        self.hidden = hidden

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/_bench/stats", self.stats)
        app.router.add_get("/_bench/responses", self.responses)
        app.router.add_post("/_bench/reveal", self.reveal)
        return app

    async def stats(self, request: web.Request) -> web.Response:
        pivotal = self.pivotal
        statuses: dict[str, int] = {}
        for rec in pivotal.requests:
            statuses[str(rec.status)] = statuses.get(str(rec.status), 0) + 1
        return web.json_response(
            {
                "customer_gets": pivotal.customer_gets(),
                "list_calls": pivotal.list_calls(),
                "requests": len(pivotal.requests),
                "statuses": statuses,
                "responses": len(self.slack.responses),
            }
        )

    async def responses(self, request: web.Request) -> web.Response:
        after = int(request.query.get("after", "0"))
        posts = self.slack.responses[after:]
        body = [{"token": p.token, "at": p.at, "body": p.body} for p in posts]
        return web.json_response({"posts": body, "next": after + len(posts)})

    async def reveal(self, request: web.Request) -> web.Response:
        count = int((await request.json()).get("count", 0))
        shown, self.hidden = self.hidden[:count], self.hidden[count:]
        for customer in shown:
            self.pivotal.upsert(customer)
        return web.json_response({"display_ids": [c["display_id"] for c in shown]})


async def serve(args: argparse.Namespace) -> None:
    everyone = generate_customers(args.customers + args.hidden, seed=args.seed)
    visible = [c for c in everyone if c["display_id"] <= args.customers]
    hidden = sorted(
        (c for c in everyone if c["display_id"] > args.customers), key=lambda c: c["display_id"]
    )
    pivotal = SandboxPivotal(
        visible, rate_limit=args.rate_limit, latency=args.latency_ms / 1000, window=args.window
    )
    slack = FakeSlack()
    controls = web.AppRunner(Controls(pivotal, slack, hidden).make_app(), access_log=None)
    stop = stdin_closed()
    api_url, slack_url = await pivotal.start(), await slack.start()
    await controls.setup()
    try:
        site = web.TCPSite(controls, "127.0.0.1", 0)
        await site.start()
        host, port = controls.addresses[0][:2]
        announce(
            {
                "pivotal_url": api_url,
                "slack_url": slack_url,
                "response_base": slack.response_url_base,
                "control_url": f"http://{host}:{port}",
            }
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), MAX_LIFETIME)
    finally:
        await controls.cleanup()
        await slack.stop()
        await pivotal.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fakes")
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--hidden", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--rate-limit", type=int, default=60)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
