"""A fake Slack Web API plus a ``response_url`` sink, on an ephemeral loopback port.

Modelled on bolt-python's ``tests/mock_web_api_server``: point ``AsyncWebClient(base_url=...)``
at ``await FakeSlack().start()`` and assert on ``calls`` / ``responses``.

Bodies are recorded as dicts whatever the encoding (``reading.py`` reads them);
``methods.py`` holds what each Web API method answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from bot.sandbox.serving import serve_app
from bot.sandbox.slack.history import Messages
from bot.sandbox.slack.methods import Stamps, answer, default_channel
from bot.sandbox.slack.reading import read_body, token_ok
from bot.sandbox.slack.workspace import HANDLED, Workspace

__all__ = ["DEFAULT_SCOPES", "FakeSlack", "ResponsePost", "SlackCall"]

DEFAULT_SCOPES = (
    "commands,links:read,links:write,chat:write,channels:read,groups:read,im:read,mpim:read,"
    "im:write,users:read,users:read.email,usergroups:read,files:write,"
    "channels:history,groups:history,im:history,mpim:history"
)
RESPONSE_URL_METHOD = "response_url"  # pseudo-method name for fail() on the response sink
UPLOAD_URL_METHOD = "upload_url"  # and on the upload URLs files.getUploadURLExternal hands out
MAX_UPLOAD_BYTES = 1 << 30
_T = TypeVar("_T")
HISTORY = frozenset({"conversations.history", "conversations.replies"})


@dataclass(frozen=True)
class SlackCall:
    """One Web API call. ``headers`` has the token replaced by ``Bearer REDACTED``."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic()
    authorized: bool = True
    http_method: str = "POST"


@dataclass(frozen=True)
class ResponsePost:
    """One POST to a ``response_url``."""

    token: str
    body: dict[str, Any]
    at: float


@dataclass
class _Fault:
    error: str
    status: int
    retry_after: int | None
    remaining: int | None
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """Fake Slack Web API (``/api/{method}``) and response_url sink (``/response/{token}``).

    scopes: value of the ``x-oauth-scopes`` response header (auth.test and every call).
    tokens: if given, only these exact bot tokens are accepted (else any ``xoxb-…``).
    """

    def __init__(
        self,
        *,
        scopes: str = DEFAULT_SCOPES,
        tokens: Iterable[str] | None = None,
        team_id: str = "T0SANDBOX",
        user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
    ) -> None:
        self.scopes = scopes
        self.tokens: set[str] | None = None if tokens is None else set(tokens)
        self.identity = {
            "url": "https://sandbox.slack.com/",
            "team": "Sandbox",
            "user": "pivotal",
            "team_id": team_id,
            "user_id": user_id,
            "bot_id": bot_id,
        }
        self.channels: dict[str, dict[str, Any]] = {}
        self.workspace = Workspace()  # people, user groups, DMs and uploaded files
        self.calls: list[SlackCall] = []
        self.responses: list[ResponsePost] = []
        self._faults: dict[str, _Fault] = {}
        self._channel_faults: dict[tuple[str, str], _Fault] = {}
        self.messages = Messages()  # what chat.postMessage posted, per channel (history)
        self._stamps = Stamps()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._root: str | None = None

    # ---- configuration ------------------------------------------------------------------
    def set_channel(
        self,
        channel_id: str,
        *,
        ext_shared: bool = False,
        name: str | None = None,
        private: bool = False,
        pending_ext_shared: bool = False,
        error: str | None = None,
        member: bool = True,
    ) -> None:
        """Configure what ``conversations.info`` returns; ``error`` makes it fail with that;
        ``member=False``: the bot is not in the channel."""
        info = default_channel(channel_id)
        info.update(
            name=name or info["name"],
            is_private=private,
            is_ext_shared=ext_shared,
            is_shared=ext_shared,
            is_pending_ext_shared=pending_ext_shared,
            is_member=member,
        )
        if error is not None:
            info["error"] = error
        self.channels[channel_id] = info

    def fail(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: int | None = None,
        count: int | None = None,
    ) -> None:
        """Answer ``{"ok": false, "error": error}`` with HTTP ``status`` (plus ``Retry-After``)
        for the next ``count`` calls to ``method`` (None = until ``clear_faults()``).
        ``method="response_url"`` targets the response_url sink, ``"upload_url"`` the upload
        URLs (answered with `status` and `error` as plain text, as Slack's file service does)."""
        if count is not None and count < 1:
            raise ValueError("count must be >= 1")
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        self._faults[method] = _Fault(error, status, retry_after, count, headers)

    def fail_channel(
        self,
        channel: str,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: int | None = None,
        count: int | None = None,
    ) -> None:
        """Like ``fail`` for calls to ``method`` naming ``channel`` only (e.g. not_in_channel
        for one channel's chat.postMessage, a 503 with ``status=503``)."""
        if count is not None and count < 1:
            raise ValueError("count must be >= 1")
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        self._channel_faults[(channel, method)] = _Fault(error, status, retry_after, count, headers)

    def set_clock(self, clock: Callable[[], float] | None) -> None:
        """Message ts from `clock` (epoch seconds, as Slack's are), not from a counter."""
        self._stamps.clock = clock

    def posted(self, channel: str) -> list[dict[str, Any]]:
        """Messages chat.postMessage posted to `channel` (as kept now), oldest first."""
        return self.messages.in_channel(channel)

    def clear_faults(self) -> None:
        self._faults.clear()
        self._channel_faults.clear()

    def clear(self) -> None:
        """Forget recorded calls and responses (configuration and faults are kept)."""
        self.calls.clear()
        self.responses.clear()

    # ---- assertions ---------------------------------------------------------------------
    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """Wait until at least ``count`` calls to ``method`` were recorded; returns all of them."""

        def check() -> list[SlackCall] | None:
            found = self.calls_to(method)
            return found if len(found) >= count else None

        def describe() -> str:
            seen = [c.method for c in self.calls]
            got = len(self.calls_to(method))
            return f"expected {count} call(s) to {method} within {timeout}s, got {got}; seen {seen}"

        return await self._wait(check, timeout, describe)

    async def wait_for_response(self, count: int = 1, timeout: float = 5.0) -> list[ResponsePost]:
        """Wait until at least ``count`` response_url posts arrived; returns all of them."""

        def check() -> list[ResponsePost] | None:
            return list(self.responses) if len(self.responses) >= count else None

        def describe() -> str:
            got = len(self.responses)
            return f"expected {count} response_url post(s) within {timeout}s, got {got}"

        return await self._wait(check, timeout, describe)

    async def _wait(
        self, check: Callable[[], _T | None], timeout: float, describe: Callable[[], str]
    ) -> _T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (result := check()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(describe())
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return result

    def all_bodies_text(self) -> str:
        """Every recorded call and response body, JSON-dumped, one per line (for leak checks)."""
        bodies = [c.body for c in self.calls] + [r.body for r in self.responses]
        return "\n".join(json.dumps(b, ensure_ascii=False, default=str) for b in bodies)

    def response_url(self, token: str) -> str:
        """A response_url for slash-command / interaction payloads."""
        return self.response_url_base + token

    # ---- HTTP ---------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        # Uploads as large as Slack takes (1 GB), not aiohttp's default 1 MB per request body.
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{token}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        return app

    def _take_fault(self, method: str) -> _Fault | None:
        f = self._faults.get(method)
        if f is not None and f.remaining is not None:
            f.remaining -= 1
            if f.remaining <= 0:
                del self._faults[method]
        return f

    def _record(self, item: SlackCall | ResponsePost) -> None:
        if isinstance(item, SlackCall):
            self.calls.append(item)
        else:
            self.responses.append(item)
        self._changed.set()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await read_body(request)
        auth = request.headers.get("Authorization")  # case-insensitive lookup
        ok = token_ok(auth or "", method, self.tokens)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        if auth is not None:
            headers["Authorization"] = "Bearer REDACTED"
        call = SlackCall(method, body, headers, time.monotonic(), ok, request.method)
        self._record(call)
        extra = {"x-oauth-scopes": self.scopes}
        if not ok:
            return web.json_response({"ok": False, "error": "invalid_auth"}, headers=extra)
        fault = self._take_fault(method) or self._take_channel_fault(method, body)
        if fault is not None:
            err = {"ok": False, "error": fault.error}
            return web.json_response(err, status=fault.status, headers={**extra, **fault.headers})
        if method in HISTORY:
            return web.json_response(self._history(method, body), headers=extra)
        if method in HANDLED:
            result = self.workspace.answer(method, body, upload_base=self._root_url() + "/upload/")
        else:
            result = answer(
                method, body, identity=self.identity, channels=self.channels, stamps=self._stamps
            )
            self._keep(method, body, result)
        return web.json_response(result, headers=extra)

    def _take_channel_fault(self, method: str, body: dict[str, Any]) -> _Fault | None:
        key = (str(body.get("channel") or ""), method)
        f = self._channel_faults.get(key)
        if f is not None and f.remaining is not None:
            f.remaining -= 1
            if f.remaining <= 0:
                del self._channel_faults[key]
        return f

    def _keep(self, method: str, body: dict[str, Any], result: dict[str, Any]) -> None:
        if method == "chat.postMessage" and result.get("ok"):
            user, bot_id = self.identity["user_id"], self.identity["bot_id"]
            self.messages.posted(body, str(result["ts"]), user=user, bot_id=bot_id)
        elif method == "chat.update" and result.get("ok"):
            self.messages.updated(body)

    def _history(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.history":
            return self.messages.history(body)
        return self.messages.replies(body)

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL files.getUploadURLExternal hands out: the file's bytes arrive here."""
        data = await request.read()
        fault = self._take_fault(UPLOAD_URL_METHOD)
        if fault is not None:
            self._changed.set()
            return web.Response(status=fault.status, text=fault.error)
        if not self.workspace.receive(request.match_info["file_id"], data):
            return web.Response(status=404, text="no such upload")
        self._changed.set()
        return web.Response(status=200, text="OK - " + str(len(data)))

    async def _response(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            data = await request.json()
        except ValueError:
            data = {"_raw": await request.text()}
        body = data if isinstance(data, dict) else {"_raw": data}
        self._record(ResponsePost(token, body, time.monotonic()))
        fault = self._take_fault(RESPONSE_URL_METHOD)
        if fault is not None:
            err = {"ok": False, "error": fault.error}
            return web.json_response(err, status=fault.status, headers=fault.headers)
        return web.json_response({"ok": True})

    # ---- lifecycle ----------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0 = ephemeral); returns ``http://host:port/api/``."""
        if self._runner is not None:
            raise RuntimeError("FakeSlack already started")
        self._changed = asyncio.Event()
        self._runner, self._root = await serve_app(self.make_app(), host, port)
        return self.base_url

    def _root_url(self) -> str:
        if self._root is None:
            raise RuntimeError("FakeSlack not started")
        return self._root

    @property
    def base_url(self) -> str:
        """Web API base for slack_sdk (trailing slash): ``http://host:port/api/``."""
        return self._root_url() + "/api/"

    @property
    def response_url_base(self) -> str:
        """``http://host:port/response/``; append a token (see ``response_url``)."""
        return self._root_url() + "/response/"

    async def stop(self) -> None:
        runner, self._runner, self._root = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
