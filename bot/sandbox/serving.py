"""Serve an aiohttp application on loopback for the sandbox and the fake Slack."""

from __future__ import annotations

from aiohttp import web


async def serve_app(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Start `app` on host:port (0 = ephemeral); returns its runner and `http://host:port`."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    started = False
    try:
        await web.TCPSite(runner, host, port).start()
        started = True
    finally:
        if not started:  # e.g. the port is taken: release what setup() opened
            await runner.cleanup()
    real_host, real_port = runner.addresses[0][:2]
    return runner, f"http://{real_host}:{real_port}"
