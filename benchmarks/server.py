"""Subject process: the real bot (or the baseline) under uvicorn on loopback.

`python -m benchmarks.server --subject bot|baseline --pivotal-url U --slack-url U ...` serves
until stdin closes. It prints one JSON line once it answers (for the bot: once the first
directory walk is done) with its URL, pid, resident memory and walk figures. The bot needs
`--database-url` (the orchestrator gives each bot a SQLite file in the run's temporary
folder, or a PostgreSQL database). `--profile PATH` samples the process with pyinstrument
from then on; PATH.txt, .html, .pyisession at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from benchmarks.child import MAX_LIFETIME, announce, rss_mb, stdin_closed
from bot.sandbox.stack import stack_settings

ASGIApp = Callable[..., Any]
Ready = Callable[[], dict[str, Any]]


def build_bot(args: argparse.Namespace) -> tuple[ASGIApp, Callable[[float], Any], Ready]:
    """The bot as `pivotal-bot serve` builds it, logging included."""
    from bot.app import build_deps, create_app
    from bot.asgi import BotASGI
    from bot.logs import configure_logging
    from bot.server import secrets_of

    settings = stack_settings(
        args.pivotal_url,
        args.slack_url,
        cache_ttl_seconds=args.cache_ttl,
        directory_refresh_seconds=args.directory_refresh,
        log_level=args.log_level,
        redis_url=args.redis_url,
        database_url=args.database_url,
        pivotal_webhook_secret=args.webhook_secret,
    )
    configure_logging(settings.log_level_number, secrets_of(settings))
    deps = build_deps(settings)
    directory = deps.directory

    def ready() -> dict[str, Any]:
        walk = directory.last_walk
        return {
            "ready": directory.ready,
            "customers": len(directory),
            "walk_seconds": walk.seconds if walk else None,
            "walk_pages": walk.pages if walk else None,
        }

    return BotASGI(create_app(deps), deps), directory.wait_ready, ready


def build_baseline(args: argparse.Namespace) -> tuple[ASGIApp, Callable[[float], Any], Ready]:
    """The tutorial bot: Bolt's own ASGI handler, INFO logging as tutorials set it."""
    from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler

    from benchmarks.baseline.app import create_app
    from bot.sandbox.stack import API_KEY, BOT_TOKEN, SIGNING_SECRET

    logging.basicConfig(level=args.log_level)
    app = create_app(
        api_url=args.pivotal_url.rstrip("/"),
        api_key=API_KEY,
        signing_secret=SIGNING_SECRET,
        bot_token=BOT_TOKEN,
        slack_url=args.slack_url,
    )

    async def no_wait(timeout: float) -> bool:
        return True

    def ready() -> dict[str, Any]:
        return {"ready": True, "customers": None, "walk_seconds": None, "walk_pages": None}

    return AsyncSlackRequestHandler(app), no_wait, ready


async def serve(args: argparse.Namespace) -> None:
    builder = build_bot if args.subject == "bot" else build_baseline
    asgi, wait_ready, ready = builder(args)
    rss_start = rss_mb()
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only when proto says TCP;
    # with proto 0, Nagle holds the body after the headers for a delayed ACK (40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        asgi, lifespan="on", log_level="warning", access_log=False, backlog=2048
    )
    server = uvicorn.Server(config)
    stop = stdin_closed()
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(3000):  # uvicorn has no "started" event to wait on; at most 30 s
        if server.started or serving.done():
            break
        await asyncio.sleep(0.01)
    if serving.done():
        serving.result()
    await wait_ready(args.ready_timeout)
    host, port = sock.getsockname()[:2]
    profiler = _start_profiler() if args.profile else None
    announce({"url": f"http://{host}:{port}", "pid": os.getpid(), "rss_start_mb": rss_start,
              **ready()})  # fmt: skip
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait([serving, stopped], timeout=MAX_LIFETIME, return_when="FIRST_COMPLETED")
    stopped.cancel()
    server.should_exit = True
    await serving
    sock.close()
    if profiler is not None:
        _write_profile(profiler, Path(args.profile))


def _start_profiler() -> Any:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    return profiler


def _write_profile(profiler: Any, path: Path) -> None:
    profiler.stop()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    path.with_suffix(".txt").write_text(text, encoding="utf-8")
    path.with_suffix(".html").write_text(profiler.output_html(), encoding="utf-8")
    if profiler.last_session is not None:  # re-render with `pyinstrument --load PATH.pyisession`
        profiler.last_session.save(str(path.with_suffix(".pyisession")))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("--subject", choices=("bot", "baseline"), required=True)
    parser.add_argument("--pivotal-url", required=True)
    parser.add_argument("--slack-url", required=True)
    parser.add_argument("--cache-ttl", type=float, default=300.0)
    parser.add_argument("--directory-refresh", type=float, default=600.0)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--ready-timeout", type=float, default=240.0)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--redis-url", default=None, help="share state with other replicas")
    parser.add_argument("--database-url", default=None, help="the bot's DATABASE_URL")
    parser.add_argument("--webhook-secret", default=None, help="PIVOTAL_WEBHOOK_SECRET")
    args = parser.parse_args()
    if args.subject == "bot" and not args.database_url:  # never the default pivotal-bot.db
        parser.error("--database-url is required for the bot (a file in a temporary folder)")
    # The event loop uvicorn picks for `pivotal-bot serve` (uvloop when installed).
    loop_factory = uvicorn.Config(app="unused:app").get_loop_factory()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(args))


if __name__ == "__main__":
    main()
