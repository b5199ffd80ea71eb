"""`pivotal-bot serve | demo | sandbox | check`: argument parsing only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.config import ConfigError, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pivotal-bot", description=__doc__)
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
    commands.add_parser("check", help="check the configuration against Pivotal and Slack")
    args = parser.parse_args(argv)

    try:
        if args.command == "serve":
            from bot.server import run_http, run_socket

            settings = load_settings(socket_mode=args.socket)
            if args.socket:
                return run_socket(settings)
            run_http(settings)
            return 0
        if args.command == "demo":
            from bot.demo import run_demo

            return run_demo(raw_json=args.json)
        if args.command == "sandbox":
            from bot.sandbox.server import serve_with_webhooks

            return serve_with_webhooks(args.host, args.port, args.webhook_url, args.webhook_secret)
        from bot.check import run_check

        return run_check(load_settings(need_signing_secret=False))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
