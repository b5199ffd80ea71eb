"""`pivotal-bot serve` as a real process: health, readiness, and a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from bot.sandbox.pivotal.server import SandboxPivotal
from bot.sandbox.slack.driver import SlackDriver
from bot.sandbox.slack.server import FakeSlack
from tests.scratch import scratch_database_url

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-test-signing-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_health_ready_and_graceful_sigterm() -> None:
    pivotal, slack = SandboxPivotal(), FakeSlack()
    pivotal_url, slack_url = await pivotal.start(), await slack.start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIVOTAL_"))}
    env.update({
        "SLACK_BOT_TOKEN": "xoxb-serve-test", "SLACK_SIGNING_SECRET": SECRET,
        "PIVOTAL_API_KEY": "pivotal_test_sandbox", "PIVOTAL_API_URL": pivotal_url,
        "SLACK_API_URL": slack_url, "HOST": "127.0.0.1", "PORT": str(port),
        "DATABASE_URL": scratch_database_url(),
    })  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(300):
                try:
                    health = await http.get(f"{base}/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            assert health.status_code == 200
            for _ in range(200):
                ready = await http.get(f"{base}/readyz")
                if ready.status_code == 200:
                    break
                assert ready.status_code == 503
                await asyncio.sleep(0.05)
            assert ready.json()["ready"] is True
            assert ready.json()["customers"] == len(pivotal.customers)
            assert (await http.get(f"{base}/nope")).status_code == 404

            # A lookup that needs Pivotal, still running when SIGTERM arrives.
            newcomer = {
                **pivotal.customers[0],
                "id": "cserve00000000000000000xx",
                "display_id": 777,
            }
            pivotal.upsert(newcomer)
            pivotal.latency = 0.6
            driver = SlackDriver(base, SECRET, slack, http)
            ack, token = await driver.command("777")
            assert ack.status_code == 200
            proc.send_signal(signal.SIGTERM)
            answer = await driver.answer(token, timeout=10)
            assert answer["blocks"][0]["text"]["text"] == newcomer["name"]
        code = await asyncio.wait_for(proc.wait(), 20)
        assert code == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        output = (await proc.stdout.read()).decode() if proc.stdout else ""
        await slack.stop()
        await pivotal.stop()
    assert "xoxb-serve-test" not in output
    assert SECRET not in output
    assert "event=directory.walk.done" in output
