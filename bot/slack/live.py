"""Live cards: cards the bot posted (Share) or unfurled follow their customer for 7 days.

When a customer changes, each of its cards is re-rendered in place with the privacy mode
its channel had (chat.update for shared cards, chat.unfurl again for unfurls). Changes
coalesce per message (ten changes before its turn, one update), calls are paced for
Slack's Tier 3 (about 50 a minute), a `ratelimited` answer waits its Retry-After, and a
deleted message or channel drops the entry quietly. The registry is bounded, in memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.message import CardSettings
from bot.logs import event
from bot.lookup.query import IdQuery
from bot.lookup.service import Found
from bot.slack.deps import Lookup
from bot.slack.privacy import CardMode
from bot.slack.render import render

log = logging.getLogger(__name__)

KEEP_SECONDS = 7 * 24 * 3600
TIER3_GAP = 1.2  # seconds between calls: 50 a minute
_GONE = frozenset({"message_not_found", "channel_not_found", "cant_update_message",
                   "is_archived", "not_in_channel"})  # fmt: skip


@dataclass(frozen=True)
class Posted:
    """One card in Slack: a shared message (`url` None) or the unfurl of `url`."""

    channel: str
    ts: str
    mode: CardMode
    url: str | None = None
    shared_by: str | None = None
    target: tuple[tuple[str, str], ...] = ()  # chat.unfurl's unfurl_id/source, if given

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.channel, self.ts, self.url or "")


class LiveCards:
    """The registry of posted cards and the paced re-rendering of the changed ones."""

    def __init__(
        self,
        slack: AsyncWebClient,
        lookup: Lookup,
        cards: CardSettings,
        *,
        max_entries: int = 20_000,
        keep_seconds: float = KEEP_SECONDS,
        gap: float = TIER3_GAP,
        timer: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.slack, self._lookup, self._cards = slack, lookup, cards
        self._by_customer: TTLCache[int, dict[tuple[str, str, str], Posted]] = TTLCache(
            max_entries, ttl=keep_seconds, timer=timer
        )
        self.gap, self._sleep = gap, sleep  # seconds between Slack calls
        self._pending: dict[tuple[str, str, str], tuple[int, Posted]] = {}
        self._wake = asyncio.Event()
        self.updates = 0
        self.dropped = 0

    def remember(self, display_id: int, posted: Posted) -> None:
        cards = self._by_customer.get(display_id) or {}
        cards[posted.key] = posted
        self._by_customer[display_id] = cards  # re-set: the 7 days count from the last post

    def changed(self, display_id: int) -> None:
        """The customer changed: queue each of its cards once."""
        for key, posted in (self._by_customer.get(display_id) or {}).items():
            self._pending[key] = (display_id, posted)
        if self._pending:
            self._wake.set()

    def __len__(self) -> int:
        return sum(len(cards) for cards in self._by_customer.values())

    async def run(self) -> None:
        """Re-render queued cards forever, one Slack call per gap; cancelled at shutdown."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                key = next(iter(self._pending))
                display_id, posted = self._pending.pop(key)
                await self._update(display_id, posted)
                await self._sleep(self.gap)

    async def _update(self, display_id: int, posted: Posted) -> None:
        outcome = await self._lookup.resolve(IdQuery(str(display_id)))
        if not isinstance(outcome, Found):
            return  # a failure or a 404: leave the card as it was
        card = render(outcome, self._cards, minimal=posted.mode is CardMode.MINIMAL,
                      shared_by=posted.shared_by)  # fmt: skip
        for _ in range(3):
            try:
                await self._send(posted, card.text, card.blocks)
            except SlackApiError as exc:
                error = str(exc.response.get("error") or "")
                if error == "ratelimited":
                    await self._sleep(_retry_after(exc))
                    continue
                self._failed(display_id, posted, error)
                return
            except (SlackClientError, OSError, TimeoutError) as exc:
                self._failed(display_id, posted, type(exc).__name__)
                return
            self.updates += 1
            event(log, "slack.live.updated", channel=posted.channel, display_id=display_id,
                  unfurl=posted.url is not None)  # fmt: skip
            return

    async def _send(self, posted: Posted, text: str, blocks: list[dict[str, Any]]) -> None:
        if posted.url is None:
            await self.slack.chat_update(channel=posted.channel, ts=posted.ts, text=text,
                                          blocks=blocks)  # fmt: skip
            return
        unfurls = {posted.url: {"blocks": blocks}}
        target = dict(posted.target)
        if target:
            await self.slack.chat_unfurl(unfurls=unfurls, unfurl_id=target["unfurl_id"],
                                         source=target["source"])  # fmt: skip
        else:
            await self.slack.chat_unfurl(unfurls=unfurls, channel=posted.channel, ts=posted.ts)

    def _failed(self, display_id: int, posted: Posted, error: str) -> None:
        if error in _GONE:
            cards = self._by_customer.get(display_id) or {}
            cards.pop(posted.key, None)
            self.dropped += 1
            event(log, "slack.live.dropped", channel=posted.channel, reason=error)
            return
        event(log, "slack.live.failed", logging.WARNING, channel=posted.channel, error=error)


def remember_unfurls(
    live: LiveCards, event: dict[str, Any], shown: dict[str, int], mode: CardMode
) -> None:
    """Keep the unfurls just sent, so they follow their customers."""
    target: tuple[tuple[str, str], ...] = ()
    if event.get("unfurl_id") and event.get("source"):
        target = (("unfurl_id", str(event["unfurl_id"])), ("source", str(event["source"])))
    channel, ts = str(event.get("channel") or ""), str(event.get("message_ts") or "")
    for url, display_id in shown.items():
        live.remember(display_id, Posted(channel, ts, mode, url=url, target=target))


async def post_card(
    live: LiveCards,
    channel: str,
    display_id: int,
    text: str,
    blocks: list[dict[str, Any]],
    mode: CardMode,
    shared_by: str | None,
) -> bool:
    """Share with chat.postMessage (so the ts is known) and keep it live; False if refused."""
    try:
        sent = await live.slack.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        event(log, "slack.live.post_failed", channel=channel, error=error)
        return False
    live.remember(display_id, Posted(channel, str(sent.get("ts") or ""), mode, shared_by=shared_by))
    return True


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    try:
        return min(max(float(headers.get("Retry-After", 1)), 1.0), 60.0)
    except (TypeError, ValueError):
        return 1.0
