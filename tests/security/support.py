"""Shared pieces of the security tests: what a safe Pivotal request and a safe Slack message
look like, a bot on a background thread (for hypothesis), and hostile customer records."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.sandbox.pivotal.data import sample_customers
from bot.sandbox.pivotal.state import RecordedRequest
from tests.blockkit import assert_inert, assert_valid_message, block_kit_problems, mrkdwn_texts
from tests.scenarios.harness import Harness, running_bot

T = TypeVar("T")

CUSTOMERS_PATH = "/api/v1/customers"
# DESIGN.md: only ^[0-9]{1,12}$ or an opaque id (letters, digits, _ and -) reaches an API path.
SAFE_REF = re.compile(r"[0-9]{1,12}|[A-Za-z0-9_-]{1,64}")
_LIST_PARAMS = frozenset({"limit", "cursor", "status"})
# The bot writes <#C…> itself for channel ids it parsed with a strict pattern.
_CHANNEL_REF = re.compile(r"<#C[A-Z0-9]{2,20}>")


def unsafe_pivotal_requests(requests: Iterable[RecordedRequest]) -> list[str]:
    """Every request that is neither GET /customers/{safe id} (no query) nor the list."""
    bad = []
    for r in requests:
        ref = r.path.removeprefix(CUSTOMERS_PATH + "/")
        if r.method == "GET" and r.path == CUSTOMERS_PATH:
            params = {part.partition("=")[0] for part in r.query.split("&") if part}
            if params <= _LIST_PARAMS:
                continue
        elif r.method == "GET" and ref != r.path and SAFE_REF.fullmatch(ref) and not r.query:
            continue
        bad.append(f"{r.method} {r.path}?{r.query}")
    return bad


def assert_safe_card(
    blocks: list[dict[str, Any]], *, text: str | None, surface: str, shared_by: str | None = None
) -> None:
    """tests.blockkit.assert_valid_message, also accepting two things the bot writes itself.

    A customer created before 1970 gets `<!date^-123^…|…>` (the shared checker knows only
    positive epochs), and a shared card credits `Shared by <@U…>` (the clicking user, not
    data). Data cannot write `<` (it is escaped), so this widens nothing for data.
    """
    dumped = json.dumps(blocks).replace("<!date^-", "<!date^")
    if shared_by is not None:
        dumped = dumped.replace(f"Shared by <@{shared_by}>", "Shared by them")
    normalised = json.loads(dumped)
    assert_valid_message(normalised, surface=surface, text=text)


def assert_safe_reply(message: dict[str, Any]) -> None:
    """A reply to typed text: blocks Slack accepts; nothing the user typed can ping or link."""
    blocks = message.get("blocks")
    assert isinstance(blocks, list) and blocks, f"a reply without blocks: {message!r:.300}"
    problems = block_kit_problems(blocks)
    assert not problems, "Slack would refuse this reply:\n" + "\n".join(problems)
    for text in [*mrkdwn_texts(blocks), str(message.get("text") or "")]:
        assert_inert(_CHANNEL_REF.sub("", text))


_TEMPLATE = next(c for c in sample_customers() if c["display_id"] == 42)


@dataclass
class Reply:
    """What a person sees after /customer: the ack's status and time, and the message."""

    status: int
    ack_seconds: float
    message: dict[str, Any] | None
    in_ack: bool
    seconds: float


async def slash(
    bot: Harness, text: str, *, channel_id: str = "C0GENERAL", timeout: float = 8.0
) -> Reply:
    """Send `/customer text`; the answer is the ack's body, else the first response_url post."""
    started = time.monotonic()
    ack, token = await bot.command(text, channel_id=channel_id)
    ack_seconds = time.monotonic() - started
    if ack.status_code != 200:
        return Reply(ack.status_code, ack_seconds, None, False, ack_seconds)
    in_ack = bool(ack.content)
    message = dict(ack.json()) if in_ack else await bot.answer(token, timeout=timeout)
    return Reply(ack.status_code, ack_seconds, message, in_ack, time.monotonic() - started)


def header(message: dict[str, Any]) -> str | None:
    first = (message.get("blocks") or [{}])[0]
    return str(first["text"]["text"]) if first.get("type") == "header" else None


def visible_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + str(message.get("text", ""))


def customer_record(number: int, **fields: Any) -> dict[str, Any]:
    """Customer `number` in the API's JSON shape (sample #42's values); `fields` override."""
    record = {
        **_TEMPLATE,
        "id": f"csec{number:021d}",
        "display_id": number,
        "name": f"Customer {number}",
        "slug": f"sec-{number}",
        "domain": f"sec-{number}.example",
        "slack_channel_id": None,
    }
    record.update(fields)
    return record


class BackgroundBot:
    """The local stack on its own thread and event loop, so a sync test (hypothesis) drives it.

    The stack is entered and left inside one task on that loop, as `running_bot` expects.
    """

    def __init__(self, **overrides: Any):
        self._overrides = overrides
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._main: Any = None
        self.bot: Harness | None = None

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with running_bot(**self._overrides) as bot:
                self.bot = bot
                self._ready.set()
                await self._stop.wait()
        finally:
            self._ready.set()

    def __enter__(self) -> BackgroundBot:
        self._thread.start()
        self._main = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        self._ready.wait(30)
        if self.bot is None:
            self._main.result(5)  # raises what stopped the stack from starting
            raise RuntimeError("the background bot did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._stop is not None:
                self.loop.call_soon_threadsafe(self._stop.set)
            self._main.result(30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)
