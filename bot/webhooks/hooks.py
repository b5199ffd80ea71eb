"""The webhook side of the bot, built once when PIVOTAL_WEBHOOK_SECRET is set."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from bot.config import Settings
from bot.logs import event
from bot.lookup.changes import Changes, LookupCopies
from bot.lookup.directory import Directory
from bot.lookup.feed import SEEN_FOR_SECONDS, FeedLiveness, SeenEvents
from bot.lookup.refetch import Refetcher
from bot.lookup.service import CustomerLookup
from bot.lookup.signals import SignalBook
from bot.pivotal.client import PivotalClient
from bot.pivotal.models import Customer, Signals
from bot.pivotal.webhooks import CustomerEvent, OtherEvent, Ping, WebhookEvent, parse_secrets
from bot.state.changefeed import RedisChangeFeed
from bot.state.memory import MemoryEvents
from bot.state.redis import SharedRedis
from bot.state.shared import SharedEvents

log = logging.getLogger(__name__)


@dataclass
class Hooks:
    """Verifiers, dedupe, the feed's liveness, and where verified events go."""

    verifiers: tuple[Webhook, ...]
    seen: SeenEvents
    feed: FeedLiveness
    changes: Changes
    refetcher: Refetcher
    shared: RedisChangeFeed | None = None  # with REDIS_URL: changes reach every replica
    applied: int = field(default=0)

    async def handle(self, hook: WebhookEvent) -> None:
        """Apply one new verified event (after the answer has gone)."""
        match hook:
            case CustomerEvent():
                applied = await self.changes.apply(hook)
                if applied.refetch:
                    self.refetcher.mark(applied.display_id)
                if applied.changed:
                    await self.share(applied.display_id)
                self.applied += 1
            case Ping():
                event(log, "pivotal.webhook.ping", event_id=hook.id)
            case OtherEvent(reason=reason):
                event(log, "pivotal.webhook.ignored", type=hook.type, event_id=hook.id,
                      reason=reason)  # fmt: skip

    async def share(self, display_id: int) -> None:
        """Tell the other replicas about a change applied here (with REDIS_URL)."""
        if self.shared is not None:
            await self.shared.publish(self._change_of(display_id))

    def _change_of(self, display_id: int) -> dict[str, Any]:
        copy = self.changes.best(display_id)
        told = self.changes.signals.get(display_id)
        return {
            "display_id": display_id,
            "customer": copy.customer.model_dump(mode="json") if copy else None,
            "signals": told.model_dump(mode="json", exclude_none=True) if told else None,
        }

    async def receive(self, change: dict[str, Any]) -> None:
        """A change another replica applied: take it here too (newer still wins)."""
        try:
            customer = (
                Customer.model_validate(change["customer"]) if change.get("customer") else None
            )
            signals = Signals.model_validate(change["signals"]) if change.get("signals") else None
            display_id = int(change["display_id"])
        except (KeyError, TypeError, ValueError, ValidationError):
            event(log, "pivotal.webhook.shared_unreadable", logging.WARNING)
            return
        if signals is not None:
            self.changes.signals.put(display_id, signals)
        # Notified even when this replica already held the copy (pulled from Redis first):
        # the change is real, and the live-card registry keeps a card from being redrawn
        # twice for it.
        if customer is None or not await self.changes.refreshed(customer):
            self.changes.notify(display_id)

    async def follow(self) -> None:
        if self.shared is not None:
            await self.shared.follow(self.receive)


def build_hooks(
    settings: Settings,
    pivotal: PivotalClient,
    directory: Directory,
    lookup: CustomerLookup,
    *,
    timer: Callable[[], float] = time.monotonic,
    signals: SignalBook | None = None,
    redis: SharedRedis | None = None,
) -> Hooks | None:
    """The webhook parts for `settings`, or None when no secret is configured."""
    secret = settings.pivotal_webhook_secret
    if secret is None:
        return None
    feed = FeedLiveness(quiet_seconds=settings.webhook_quiet_seconds, timer=timer)
    changes = Changes(LookupCopies(lookup), signals if signals is not None else SignalBook())
    lookup.kept_fresh = feed.covers
    reconcile, poll = settings.directory_reconcile_seconds, settings.directory_refresh_seconds
    # With deliveries arriving the walk is a slow reconcile (deletes send no event).
    directory.interval = lambda: reconcile if feed.live else poll
    hooks = Hooks(
        verifiers=parse_secrets(secret.get_secret_value()),
        seen=_memory_seen() if redis is None else _SharedSeen(redis),
        feed=feed,
        changes=changes,
        refetcher=Refetcher(pivotal, directory, changes),
        shared=RedisChangeFeed(redis) if redis is not None else None,
    )
    hooks.refetcher.on_refetched = hooks.share  # what a refetch brought reaches every replica
    return hooks


class _SharedSeen:
    """Event ids in Redis for 7 days (over this process's memory), apart from Slack's."""

    def __init__(self, redis: SharedRedis):
        local = MemoryEvents(ttl=SEEN_FOR_SECONDS)
        self._events = SharedEvents(redis, local, ttl=SEEN_FOR_SECONDS)

    async def first_time(self, event_id: str) -> bool:
        return await self._events.first_time(f"pivotal:{event_id}")


def _memory_seen() -> MemoryEvents:
    """Event ids in this process for 7 days, the newest 100,000 of them."""
    return MemoryEvents(ttl=SEEN_FOR_SECONDS, max_entries=100_000)
