"""Digests go out: each daily follow's day at its hour, and a quiet follow's hour once over.

Every replica runs `DigestRunner.run`; a digest is claimed once across them
(`Outbox.digest_claim`), then posted. The claim comes first, so a post that fails after it
is logged and not retried: a digest is sent at most once (a missed one is in the log).
Digests follow the channel's card mode like notifications: internal fields are left out
in Slack Connect channels shown `minimal`, and nothing is posted where cards are `off`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.customer import customer_url
from bot.blocks.digests import Line, digest_message
from bot.blocks.message import CardMode, CardSettings
from bot.follows.digests import daily_due, hour_over, local_day
from bot.follows.model import Follow, Notice
from bot.follows.store import FollowStore, Outbox
from bot.logs import event
from bot.lookup.durable import StoreUnavailable
from bot.slack.deps import CustomerIndex
from bot.slack.privacy import ChannelSharing
from bot.slack.webapi import SlackCallFailed, call, logged

log = logging.getLogger(__name__)

EVERY = 60.0  # seconds between looks for due digests


class DigestRunner:
    """Claims due digests and posts them."""

    def __init__(
        self,
        follows: FollowStore,
        outbox: Outbox,
        slack: AsyncWebClient,
        sharing: ChannelSharing,
        directory: CustomerIndex,
        cards: CardSettings,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self._follows, self._outbox = follows, outbox
        self._slack, self._sharing = slack, sharing
        self._directory, self._cards = directory, cards
        self._clock = clock
        self.sent = 0

    async def run(self) -> None:
        """Look for due digests every EVERY seconds (a task for the process's life)."""
        while True:
            try:
                await self.send_due()
            except StoreUnavailable as exc:
                event(log, "follows.digest.unavailable", logging.WARNING, error=str(exc))
            except Exception:  # the runner outlives one bad round; logged, the next one retries
                log.exception("follows.digest.failed")
            await asyncio.sleep(EVERY)

    async def send_due(self) -> int:
        """Post every digest due now; how many were posted."""
        now = self._clock()
        posted = 0
        owed = await self._outbox.digests_owed()
        with_changes = set(owed)
        for follow in await self._follows.digests():
            *late, current = daily_due(follow, now) or [""]
            # A day missed (the bot was down at the hour) is sent late only if something
            # changed: a late "nothing changed" is noise.
            for day in late:
                if (follow.id, day) in with_changes:
                    posted += await self._send(follow, day, quiet_hour=False)
            if current:
                posted += await self._send(follow, current, quiet_hour=False)
        for follow_id, key in owed:
            if hour_over(key, now):
                quiet = await self._follows.get(follow_id)
                if quiet is not None:
                    posted += await self._send(quiet, key, quiet_hour=True)
        return posted

    async def send_today(self) -> int:
        """Every daily follow's digest of today so far, now (the demo's /digest): as if
        the hour had come. Today's digest is then taken: later changes today are not in
        tomorrow's."""
        now, posted = self._clock(), 0
        for follow in await self._follows.digests():
            posted += await self._send(follow, local_day(follow, now).isoformat(),
                                       quiet_hour=False)  # fmt: skip
        return posted

    async def _send(self, follow: Follow, period: str, *, quiet_hour: bool) -> int:
        channel = follow.destination.channel_id
        mode = CardMode.FULL
        if not follow.destination.personal and not channel.startswith("D"):
            mode = await self._sharing.card_mode(channel)
        if mode is CardMode.OFF:
            return 0  # claimed by no one: the follow is paused by the sender's first post
        items = await self._outbox.digest_claim(follow.id, period)
        if items is None:
            return 0  # another replica took it, or it was sent before
        minimal, currency = mode is CardMode.MINIMAL, self._cards.currency
        message = digest_message(follow, period, self._lines(items), currency=currency,
                                 minimal=minimal, quiet_hour=quiet_hour)  # fmt: skip
        try:
            await call(
                "chat.postMessage",
                self._slack.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks
                ),
            )
        except SlackCallFailed as failed:
            logged(failed, "follows.digest.not_sent", follow=follow.id, period=period)
            await self._follows.noted(follow.id, at=self._clock(), error=failed.error)
            return 0
        await self._follows.noted(follow.id, at=self._clock())
        self.sent += 1
        event(log, "follows.digest.sent", follow=follow.id, period=period, customers=len(items))
        return 1

    def _lines(self, items: list[tuple[int, tuple[Notice, ...]]]) -> list[Line]:
        lines: list[Line] = []
        for display_id, notices in items:
            snap = self._directory.get(str(display_id))
            if snap is None:
                lines.append((f"Customer #{display_id}", None, notices))
            else:
                url = customer_url(snap.customer, self._cards.app_url)
                lines.append((snap.customer.name, url, notices))
        return lines
