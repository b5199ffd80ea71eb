"""`pivotal-bot serve --socket`: opens its connection through SLACK_API_URL, stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.slack.server import FakeSlack
from tests.scratch import scratch_database_url

ROOT = Path(__file__).resolve().parents[2]
APP_TOKEN = "xapp-1-socket-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve_socket(
    slack_url: str, pivotal_url: str, **extra: str
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIVOTAL_"))}
    env.update({
        "SLACK_BOT_TOKEN": "xoxb-socket-test", "SLACK_APP_TOKEN": APP_TOKEN,
        "PIVOTAL_API_KEY": "pivotal_test_sandbox", "PIVOTAL_API_URL": pivotal_url,
        "SLACK_API_URL": slack_url, **extra,
        "DATABASE_URL": scratch_database_url(),
    })  # fmt: skip
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--socket", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def test_a_refused_app_token_exits_1_with_the_fix() -> None:
    async with SandboxPivotal() as pivotal, FakeSlack() as slack:
        slack.fail("apps.connections.open", "invalid_auth")
        proc = await serve_socket(slack.base_url, pivotal.base_url)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
        text = output.decode()
        assert proc.returncode == 1, text
        assert "event=bot.socket.failed" in text and "SLACK_APP_TOKEN" in text
        assert "Traceback" not in text
        assert APP_TOKEN not in text
        assert slack.calls_to("apps.connections.open")


async def test_sigterm_while_connecting_stops_cleanly() -> None:
    async with SandboxPivotal() as pivotal, FakeSlack() as slack:
        proc = await serve_socket(slack.base_url, pivotal.base_url)
        await slack.wait_for("apps.connections.open", count=2, timeout=30)
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, output.decode()
        assert "event=bot.stop mode=socket" in output.decode()


async def test_webhooks_and_health_are_served_over_http_in_socket_mode() -> None:
    secret = new_secret()
    port = free_port()
    async with SandboxPivotal() as pivotal, FakeSlack() as slack, httpx.AsyncClient() as http:
        proc = await serve_socket(slack.base_url, pivotal.base_url, PIVOTAL_WEBHOOK_SECRET=secret,
                                  HOST="127.0.0.1", PORT=str(port))  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        sender = WebhookSender(f"{url}/pivotal/webhooks", secret, http)
        assert (await sender.deliver(envelope("webhook.ping"))).status_code == 202
        forged = WebhookSender(f"{url}/pivotal/webhooks", new_secret(), http)
        assert (await forged.deliver(envelope("webhook.ping"))).status_code == 401
        slack_events = await http.post(f"{url}/slack/events", content=b"{}")
        assert slack_events.status_code == 404  # Slack comes over the websocket here
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, output.decode()
        assert "event=pivotal.webhook.ping" in output.decode()
        assert secret not in output.decode()
