"""Live cards: cards the bot posted (Share) or unfurled follow their customer for 7 days.

When a customer changes, each of its cards is re-rendered in place with the privacy mode
its channel had (chat.update for shared cards, chat.unfurl again for unfurls). Changes
coalesce per message (ten changes before its turn, one update), a card that would look
the same is not sent again, calls take turns from the pacer (bot/slack/webapi.py: Tier 3's
pace for the app, about one a second per channel), a `ratelimited` answer holds the pacer
for its Retry-After, and a message or channel that is gone drops the entry quietly. Where
the registry lives and how replicas take turns is the registry's business
(bot/state/live.py): memory, or Redis when set.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.message import CardMode, CardSettings, Message
from bot.logs import event
from bot.lookup.query import IdQuery
from bot.lookup.service import Found
from bot.pivotal.models import instant
from bot.slack.cards import draw
from bot.slack.deps import Lookup
from bot.slack.errors import contained
from bot.slack.render import render
from bot.slack.webapi import TIER3_GAP, Pace, Pacer, SlackCallFailed, logged
from bot.state.live import Drawn, LiveRegistry, MemoryLiveCards, Posted, digest_of

__all__ = ["TIER3_GAP", "LiveCards", "Posted"]

log = logging.getLogger(__name__)

LEASE_SECONDS = 90.0  # one redraw, ratelimited waits included
HELD_RETRY_SECONDS = 1.0  # another replica is redrawing the card: look again after this
HELD_RETRIES = 100  # past the lease, so a replica that died mid-redraw is covered
TRIES = 3  # sends of one redraw, ratelimited answers included


class LiveCards:
    """The paced re-rendering of changed customers' cards, over a registry of them."""

    def __init__(
        self,
        slack: AsyncWebClient,
        lookup: Lookup,
        cards: CardSettings,
        registry: LiveRegistry | None = None,
        *,
        pacer: Pacer | None = None,
        redraws: AsyncWebClient | None = None,
        held_retry: float = HELD_RETRY_SECONDS,
    ):
        self._lookup, self._cards = lookup, cards
        self._redraws = redraws if redraws is not None else slack  # chat.update, chat.unfurl
        self.registry: LiveRegistry = registry if registry is not None else MemoryLiveCards()
        self.pacer = pacer if pacer is not None else Pacer()
        self._held_retry = held_retry
        self._changed: dict[int, None] = {}  # customers whose cards are still to be listed
        self._pending: dict[str, tuple[int, Posted]] = {}
        self._held: dict[str, int] = {}  # message -> times found taken by another replica
        self._wake = asyncio.Event()
        self._settled = asyncio.Event()  # set while idle
        self._settled.set()
        self._drawing = False
        self.updates = 0
        self.unchanged = 0  # redraws skipped: the message already showed this card
        self.dropped = 0

    async def remember(self, display_id: int, posted: Posted) -> None:
        await self.registry.add(display_id, posted)

    async def kept(self, display_id: int, posted: Posted) -> Posted | None:
        """The registry's record of the message `posted` addresses (who shared it, …)."""
        return next((p for p in await self.registry.cards(display_id) if p.key == posted.key), None)

    def changed(self, display_id: int) -> None:
        """The customer changed: its cards are queued, each once, on the next turn."""
        self._changed[display_id] = None
        self._settled.clear()
        self._wake.set()

    def __len__(self) -> int:
        return len(self.registry)

    @property
    def gap(self) -> float:
        """Seconds between redraws app-wide (a channel's own gap is never longer)."""
        return self.pacer.pace.app

    @gap.setter
    def gap(self, seconds: float) -> None:
        self.pacer.pace = Pace(app=seconds, channel=min(self.pacer.pace.channel, seconds))

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing being drawn (a card looked at again later aside)."""
        return not (self._changed or self._pending or self._drawing or self._wake.is_set())

    async def settled(self, timeout: float) -> bool:
        """Wait until idle, at most `timeout` seconds; False if cards are still queued."""
        try:
            async with asyncio.timeout(timeout):
                await self._settled.wait()
        except TimeoutError:
            return False
        return True

    async def run(self) -> None:
        """Re-render queued cards forever, paced; cancelled at shutdown."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._changed or self._pending:
                self._drawing = True
                try:
                    await contained(self._turn())  # one card's bug never stops the others
                finally:
                    self._drawing = False
            if self.idle:
                self._settled.set()

    async def _turn(self) -> None:
        await self._list_changed()
        if self._pending:
            key = next(iter(self._pending))
            display_id, posted = self._pending.pop(key)
            await self._redraw(display_id, posted)

    async def _list_changed(self) -> None:
        while self._changed:
            display_id = next(iter(self._changed))
            del self._changed[display_id]
            for posted in await self.registry.cards(display_id):
                self._pending[posted.key] = (display_id, posted)

    async def _redraw(self, display_id: int, posted: Posted) -> None:
        token = await self.registry.lease(posted, LEASE_SECONDS)
        if token is None:
            self._look_again(display_id, posted)
            return
        self._held.pop(posted.key, None)
        try:
            outcome = await self._lookup.resolve(IdQuery(str(display_id)))
            if not isinstance(outcome, Found):
                return  # a failure or a 404: leave the card as it was
            card = render(outcome, self._cards, minimal=posted.mode == CardMode.MINIMAL,
                          shared_by=posted.shared_by)  # fmt: skip
            drawn = Drawn(digest_of(card.text, card.blocks),
                          instant(outcome.snapshot.customer.updated_at).timestamp())  # fmt: skip
            before = await self.registry.drawn(posted)
            if before is not None and before.covers(drawn):
                self.unchanged += 1
                return
            await self._paced(display_id, posted, card, drawn)
        finally:
            await self.registry.release(posted, token)

    def _look_again(self, display_id: int, posted: Posted) -> None:
        """Another replica holds the card: whatever it draws, look again once it is done."""
        tries = self._held.get(posted.key, 0) + 1
        if tries > HELD_RETRIES:
            self._held.pop(posted.key, None)
            return
        self._held[posted.key] = tries

        def again() -> None:
            self._pending.setdefault(posted.key, (display_id, posted))
            self._settled.clear()
            self._wake.set()

        asyncio.get_running_loop().call_later(self._held_retry, again)

    async def _paced(self, display_id: int, posted: Posted, card: Message, drawn: Drawn) -> None:
        for _ in range(TRIES):
            waited = await self.pacer.turn(posted.channel)
            if waited and (before := await self.registry.drawn(posted)) and before.covers(drawn):
                self.unchanged += 1  # drawn meanwhile (a long hold-off outlasts the lease)
                return
            try:
                await draw(self._redraws, posted, card)
            except SlackCallFailed as failed:
                if await self.pacer.held(failed, posted.channel):
                    continue
                await self._failed(display_id, posted, failed)
                return
            await self.registry.drew(posted, drawn)
            self.updates += 1
            event(log, "slack.live.updated", channel=posted.channel, display_id=display_id,
                  unfurl=posted.url is not None)  # fmt: skip
            return

    async def _failed(self, display_id: int, posted: Posted, failed: SlackCallFailed) -> None:
        if failed.gone:
            await self.registry.drop(display_id, posted)
            self.dropped += 1
            event(log, "slack.live.dropped", channel=posted.channel, reason=failed.error)
            return
        logged(failed, "slack.live.failed", channel=posted.channel)
