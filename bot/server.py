"""Run the bot: HTTP (uvicorn) or Socket Mode, with graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator

import uvicorn
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_deps, create_app
from bot.asgi import BotASGI
from bot.config import Settings
from bot.logs import configure_logging, event

log = logging.getLogger(__name__)


def secrets_of(settings: Settings) -> list[str]:
    values = [settings.slack_bot_token, settings.pivotal_api_key]
    optional = (
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.pivotal_webhook_secret,
        settings.redis_url,  # it may carry a password
    )
    values += [s for s in optional if s]
    return [v.get_secret_value() for v in values]


def build_asgi(settings: Settings) -> BotASGI:
    deps = build_deps(settings)
    return BotASGI(create_app(deps), deps)


def run_http(settings: Settings) -> int:
    """Serve POST /slack/events, /healthz and /readyz until SIGTERM or Ctrl-C."""
    configure_logging(settings.log_level_number, secrets_of(settings))
    try:
        sock = listening_socket(settings.host, settings.port)
    except OSError as exc:
        fix = "set PORT to a free port, or PORT=0 for any free one"
        event(log, "bot.start.failed", logging.ERROR, host=settings.host, port=settings.port,
              error=exc.strerror or type(exc).__name__, fix=fix)  # fmt: skip
        return 1
    port = sock.getsockname()[1]  # the one bound, when PORT=0 asked for any
    event(log, "bot.start", mode="http", host=settings.host, port=port,
          pivotal=settings.api_url, test_key=settings.pivotal_key_is_test)  # fmt: skip
    config = uvicorn.Config(
        build_asgi(settings),
        host=settings.host,
        port=port,
        lifespan="on",
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's lines go through the bot's key=value handler
        access_log=False,
        timeout_graceful_shutdown=15,
        proxy_headers=True,
    )
    # uvicorn re-raises SIGTERM after its graceful shutdown; exit 0 then, since in-flight
    # work has finished (and before serving starts, SIGTERM just exits).
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        event(log, "bot.stop", mode="http")
        sock.close()
    return 0


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for `host`:`port` (0: any free port); OSError when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def run_socket(settings: Settings) -> int:
    """Socket Mode: the same listeners over a websocket; no public URL needed."""
    configure_logging(settings.log_level_number, secrets_of(settings))
    return asyncio.run(_socket_main(settings))


async def _socket_main(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert settings.slack_app_token is not None  # load_settings(socket_mode=True) checked it
    if not await _app_token_accepted(settings):
        return 1
    deps = build_deps(settings)
    app = create_app(deps)
    handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await deps.start()
    sidecar = _webhook_server(settings, BotASGI(app, deps, slack_http=False))
    sidecar_task = asyncio.create_task(sidecar.serve()) if sidecar else None
    failed = False
    connecting = asyncio.create_task(handler.connect_async())  # type: ignore[no-untyped-call]
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if connecting.done() and connecting.exception() is None:
        event(log, "bot.start", mode="socket", pivotal=settings.api_url)
        await stopping
    elif connecting.done():
        error = connecting.exception()
        fix = _SOCKET_MODE_FIX if isinstance(error, SlackApiError) else _network_fix(settings)
        event(log, "bot.socket.failed", logging.ERROR, error=type(error).__name__, fix=fix)
        failed = True
    connecting.cancel()
    stopping.cancel()
    event(log, "bot.stop", mode="socket")
    await handler.close_async()  # type: ignore[no-untyped-call]
    if sidecar is not None and sidecar_task is not None:
        sidecar.should_exit = True
        await sidecar_task
    await deps.aclose()
    return 1 if failed else 0


class _Sidecar(uvicorn.Server):
    """uvicorn inside the Socket Mode loop, which owns SIGTERM and SIGINT itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _webhook_server(settings: Settings, asgi: BotASGI) -> _Sidecar | None:
    """With a webhook secret, Socket Mode also serves /pivotal/webhooks and health."""
    if settings.pivotal_webhook_secret is None:
        return None
    config = uvicorn.Config(asgi, host=settings.host, port=settings.port, lifespan="off",
                            log_level=settings.log_level.lower(), access_log=False,
                            proxy_headers=True)  # fmt: skip
    event(log, "bot.webhooks.listening", host=settings.host, port=settings.port)
    return _Sidecar(config)


async def _app_token_accepted(settings: Settings) -> bool:
    """Ask for a websocket URL once up front: the handler itself retries a refusal forever."""
    assert settings.slack_app_token is not None
    client = AsyncWebClient(base_url=settings.slack_url, timeout=10)
    try:
        await client.apps_connections_open(app_token=settings.slack_app_token.get_secret_value())
    except SlackApiError as exc:  # Slack answered: the token or the app settings are wrong
        event(log, "bot.socket.failed", logging.ERROR, error=exc.response.get("error"),
              fix=_SOCKET_MODE_FIX)  # fmt: skip
        return False
    except (SlackClientError, OSError, TimeoutError) as exc:  # Slack was never reached
        event(log, "bot.socket.failed", logging.ERROR, error=type(exc).__name__,
              fix=_network_fix(settings))  # fmt: skip
        return False
    return True


_SOCKET_MODE_FIX = "check SLACK_APP_TOKEN (xapp-, connections:write) and that Socket Mode is on"


def _network_fix(settings: Settings) -> str:
    return f"Slack could not be reached: check SLACK_API_URL ({settings.slack_url}) and the network"
