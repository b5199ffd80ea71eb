"""The real bot served by uvicorn on loopback, between the sandbox Pivotal and a fake Slack."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn

from bot.app import Deps, build_deps, create_app
from bot.asgi import BotASGI
from bot.config import Settings
from bot.sandbox.server import SandboxPivotal
from bot.sandbox.slack import FakeSlack

SIGNING_SECRET = "test-signing-secret-5f1c0e6b9a"
BOT_TOKEN = "xoxb-test-bot-token-77c1d2e3f4"
API_KEY = "pivotal_test_sandbox"
APP_URL = "https://my.pivotal.app"
TEAM_ID = "T0SANDBOX"
_ids = itertools.count(1)


def sign(body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for `body`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Harness:
    pivotal: SandboxPivotal
    slack: FakeSlack
    deps: Deps
    url: str
    http: httpx.AsyncClient
    server: uvicorn.Server
    sent: list[str] = field(default_factory=list)

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        signed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {"Content-Type": content_type, **(sign(body) if signed else {})}
        all_headers.update(headers or {})
        return await self.http.post(f"{self.url}/slack/events", content=body, headers=all_headers)

    def command_body(
        self, text: str, *, channel_id: str = "C0GENERAL", team_id: str = TEAM_ID
    ) -> tuple[bytes, str]:
        token = f"cmd{next(_ids)}"
        form = {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": "sandbox",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": "U0PERSON",
            "user_name": "pat",
            "command": "/customer",
            "text": text,
            "api_app_id": "A0PIVOTAL",
            "response_url": self.slack.response_url(token),
            "trigger_id": f"{token}.trigger",
        }
        return urlencode(form).encode(), token

    async def command(
        self, text: str, *, channel_id: str = "C0GENERAL", team_id: str = TEAM_ID
    ) -> tuple[httpx.Response, str]:
        """Send /customer `text`; returns the ack and the response_url token."""
        body, token = self.command_body(text, channel_id=channel_id, team_id=team_id)
        response = await self.post(body, "application/x-www-form-urlencoded")
        return response, token

    async def answer(self, token: str, timeout: float = 8.0) -> dict[str, Any]:
        """The first message posted to the response_url `token`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for post in self.slack.responses:
                if post.token == token:
                    return dict(post.body)
            await asyncio.sleep(0.01)
        raise TimeoutError(f"nothing reached response_url {token} in {timeout} s")

    def event_body(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        ext_shared: bool | None = False,
        team_id: str = TEAM_ID,
    ) -> bytes:
        envelope: dict[str, Any] = {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "api_app_id": "A0PIVOTAL",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team_id, "user_id": "U0BOT", "is_bot": True}],
        }
        if ext_shared is not None:
            envelope["is_ext_shared_channel"] = ext_shared
        return json.dumps(envelope).encode()

    async def link_shared(
        self,
        urls: list[str],
        *,
        channel: str = "C0GENERAL",
        event_id: str | None = None,
        ext_shared: bool | None = False,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        event = {
            "type": "link_shared",
            "channel": channel,
            "user": "U0PERSON",
            "message_ts": "1732560000.000100",
            "links": [{"domain": httpx.URL(u).host or "", "url": u} for u in urls],
            "is_bot_user_member": True,
            "event_ts": "1732560000.000200",
            **extra,
        }
        body = self.event_body(event, event_id=event_id, ext_shared=ext_shared)
        return await self.post(body, "application/json", headers=headers)

    async def action(
        self, action_id: str, value: str, *, response_token: str | None = None
    ) -> tuple[httpx.Response, str]:
        token = response_token or f"act{next(_ids)}"
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "sandbox"},
            "user": {"id": "U0PERSON", "team_id": TEAM_ID},
            "api_app_id": "A0PIVOTAL",
            "container": {"type": "message", "is_ephemeral": True},
            "channel": {"id": "C0GENERAL", "name": "general"},
            "trigger_id": f"{token}.trigger",
            "response_url": self.slack.response_url(token),
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                 "action_ts": "1732560000.1"}
            ],
        }  # fmt: skip
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded"), token

    async def wait_ready(self, timeout: float = 10.0) -> None:
        if not await self.deps.directory.wait_ready(timeout):
            raise TimeoutError("the directory walk did not finish")


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def test_settings(pivotal_url: str, slack_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "pivotal_api_key": API_KEY,
        "pivotal_api_url": pivotal_url,
        "pivotal_app_url": APP_URL,
        "slack_api_url": slack_url,
        "hubspot_portal_id": "4455667",
        "intercom_app_id": "ab12cd34",
        "pivotal_timeout_seconds": 1.5,
        "log_level": "DEBUG",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    *,
    pivotal: SandboxPivotal | None = None,
    wait_ready: bool = True,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    """Sandbox Pivotal + fake Slack + the bot's ASGI app under uvicorn, all on loopback."""
    pivotal = pivotal or SandboxPivotal()
    slack = FakeSlack()
    pivotal_url = await pivotal.start()
    slack_url = await slack.start()
    settings = test_settings(pivotal_url, slack_url, **overrides)
    deps = build_deps(settings)
    app = BotASGI(create_app(deps), deps)
    sock = free_socket()
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.005)
        host, port = sock.getsockname()
        async with httpx.AsyncClient(timeout=10) as http:
            harness = Harness(pivotal, slack, deps, f"http://{host}:{port}", http, server)
            if wait_ready:
                await harness.wait_ready()
            yield harness
    finally:
        server.should_exit = True
        await serving
        sock.close()
        await slack.stop()
        await pivotal.stop()
