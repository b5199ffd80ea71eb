"""Load side: signed /customer commands, and what each one ended as.

A lookup's card arrives either in the ack's own body (the bot's warm path) or later at the
response_url (the fake Slack in the fakes process records it with its time.monotonic(), which
on Linux is the same clock as ours), so command-to-card is measured across both processes.
Requests are built and signed before a run starts, so the clock covers only the exchange.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from benchmarks.procs import Target
from benchmarks.wire import WireClient
from bot.blocks import notices as bot_notices
from bot.blocks.ids import STALE_NOTE_BLOCK
from bot.sandbox.slack.driver import sign
from bot.sandbox.slack.payloads import APP_ID, TEAM_ID, USER_ID
from bot.sandbox.stack import SIGNING_SECRET

Kind = Literal["card", "stale", "rate_limited", "error", "none"]
# The bot's rate-limit wording starts like this; the baseline says "rate limit".
_BOT_BUSY = bot_notices.rate_limited(1.0).text.split(".")[0]


def classify(message: dict[str, Any] | None) -> Kind:
    """What a person would see: a card (fresh or stale), a rate-limit error, another error."""
    if message is None:
        return "none"
    blocks = message.get("blocks") or []
    if any(b.get("type") == "header" for b in blocks):
        stale = any(b.get("block_id") == STALE_NOTE_BLOCK for b in blocks)
        return "stale" if stale else "card"
    text = str(message.get("text") or "")
    return "rate_limited" if text.startswith(_BOT_BUSY) or "rate limit" in text else "error"


@dataclass
class Lookup:
    """One /customer command from send to answer (times on time.monotonic())."""

    text: str
    token: str
    raw: bytes  # the whole signed HTTP request
    scheduled: float = 0.0
    sent: float = 0.0
    acked: float = 0.0
    status: int = 0
    ack: dict[str, Any] | None = None  # the ack body when it carried a message
    answer: dict[str, Any] | None = None  # the response_url post, if one came
    answered: float | None = None

    @property
    def ack_ms(self) -> float:
        return (self.acked - self.sent) * 1000

    @property
    def lag_ms(self) -> float:
        """How late the load side sent it against its schedule."""
        return (self.sent - self.scheduled) * 1000

    @property
    def in_ack(self) -> bool:
        return self.ack is not None and bool(self.ack.get("blocks"))

    @property
    def message(self) -> dict[str, Any] | None:
        return self.ack if self.in_ack else self.answer

    @property
    def card_ms(self) -> float | None:
        """Command to what the person sees: the ack when it carried it, else response_url."""
        if self.in_ack:
            return self.ack_ms
        return None if self.answered is None else (self.answered - self.sent) * 1000

    @property
    def kind(self) -> Kind:
        return "error" if self.status != 200 else classify(self.message)


class SlackLoad:
    """Sends what Slack sends for `/customer <text>` to one target, signed."""

    def __init__(self, target: Target):
        self.target = target
        url = urlsplit(target.url)
        self.wire = WireClient(url.hostname or "127.0.0.1", url.port or 80)
        target.closers.append(self.wire.close)
        self._host = url.netloc
        self._ids = itertools.count(1)
        self._seen_posts = 0

    def prepare(self, texts: Sequence[str]) -> list[Lookup]:
        return [self._lookup(text) for text in texts]

    def _lookup(self, text: str) -> Lookup:
        token = f"b{next(self._ids)}"
        form = {
            "token": "legacy-verification-token", "team_id": TEAM_ID, "team_domain": "sandbox",
            "channel_id": "C0GENERAL", "channel_name": "general", "user_id": USER_ID,
            "user_name": "pat", "command": "/customer", "text": text, "api_app_id": APP_ID,
            "response_url": self.target.response_base + token, "trigger_id": f"{token}.trigger",
        }  # fmt: skip
        body = urlencode(form).encode()
        headers = {
            "Host": self._host,
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(len(body)),
            **sign(body, secret=SIGNING_SECRET),
        }
        head = "POST /slack/events HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        return Lookup(text, token, (head + "\r\n").encode() + body)

    async def send(self, lookup: Lookup, scheduled: float | None = None) -> Lookup:
        lookup.sent = time.monotonic()
        lookup.scheduled = lookup.sent if scheduled is None else scheduled
        try:
            lookup.status, body = await self.wire.request(lookup.raw)
            if body:
                lookup.ack = json.loads(body)
        except (OSError, TimeoutError, ValueError):
            lookup.status = -1
        lookup.acked = time.monotonic()
        return lookup

    async def settle(self, lookups: Sequence[Lookup], timeout: float = 20.0) -> None:
        """Wait (at most `timeout` s) for every lookup that acked empty to get its answer."""
        waiting = {lk.token: lk for lk in lookups if lk.status == 200 and not lk.in_ack}
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            posts, self._seen_posts = await self.target.responses(self._seen_posts)
            for post in posts:
                lookup = waiting.pop(post["token"], None)
                if lookup is not None:
                    lookup.answer, lookup.answered = post["body"], post["at"]
            if waiting:
                await asyncio.sleep(0.05)

    async def open_loop(self, texts: Sequence[str], offsets: Sequence[float]) -> list[Lookup]:
        """Send texts[i] at start + offsets[i] (seconds), whatever came back before."""
        lookups = self.prepare(texts)
        start = time.monotonic() + 0.05
        tasks: list[asyncio.Task[Lookup]] = []
        for lookup, offset in zip(lookups, offsets, strict=True):
            due = start + offset
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.send(lookup, due)))
        return list(await asyncio.gather(*tasks))

    async def closed_loop(self, texts: Sequence[str], concurrency: int) -> list[Lookup]:
        """`concurrency` senders, each sending the next text as soon as its last one acked."""
        lookups = self.prepare(texts)
        queue = iter(lookups)

        async def sender() -> None:
            for lookup in queue:
                await self.send(lookup)

        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return lookups


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
