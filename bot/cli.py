"""`pivotal-bot serve | demo | sandbox | check`: argument parsing only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, load_settings

DESCRIPTION = (
    "A Slack app that looks up customers in Pivotal: /customer 42, unfurled customer links "
    "and channel-linked cards. Configured by environment variables (see README.md)."
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pivotal-bot", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the bot (HTTP by default)")
    serve.add_argument("--socket", action="store_true", help="use Socket Mode (SLACK_APP_TOKEN)")
    demo = commands.add_parser("demo", help="try the bot locally: sandbox Pivotal, local Slack")
    demo.add_argument("--json", action="store_true", help="print raw Block Kit JSON too")
    sandbox = commands.add_parser("sandbox", help="serve the sample Pivotal API")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--webhook-url", help="a running bot's /pivotal/webhooks URL")
    sandbox.add_argument("--webhook-secret", help="the bot's PIVOTAL_WEBHOOK_SECRET (whsec_…)")
    check = commands.add_parser("check", help="check the configuration against Pivotal and Slack")
    manifest_help = "the Slack app manifest to compare with (default: ./manifest.yml)"
    check.add_argument("--manifest", type=Path, metavar="PATH", help=manifest_help)
    args = parser.parse_args(argv)

    try:
        if args.command == "serve":
            from bot.server import run_http, run_socket

            settings = load_settings(socket_mode=args.socket)
            if args.socket:
                return run_socket(settings)
            return run_http(settings)
        if args.command == "demo":
            from bot.sandbox.demo.run import run_demo

            return run_demo(raw_json=args.json)
        if args.command == "sandbox":
            from bot.sandbox.pivotal.server import serve_with_webhooks

            return serve_with_webhooks(args.host, args.port, args.webhook_url, args.webhook_secret)
        from bot.check import run_check

        return run_check(load_settings(need_signing_secret=False), args.manifest)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
