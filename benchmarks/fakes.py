"""Fakes process: the sandbox Pivotal and the fake Slack on loopback, plus the sandbox controls.

`python -m benchmarks.fakes --customers N --hidden M --latency-ms L --rate-limit R` prints one
JSON line with the URLs, then serves until stdin closes. Customers N+1..N+M are held back
and `POST /_sandbox/reveal` adds them later, so they are created after the bot's first walk.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from aiohttp import web

from benchmarks.child import MAX_LIFETIME, announce, stdin_closed
from bot.sandbox.pivotal.control import Controls
from bot.sandbox.pivotal.data import generate_customers
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.slack.server import FakeSlack


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
    control_app = web.Application()
    Controls(pivotal, slack, hidden).add_routes(control_app)
    controls = web.AppRunner(control_app, access_log=None)
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
