"""The webhook side of the bot: record verified events durably, apply them, finish leftovers.

A verified delivery is committed to the inbox (bot.lookup.feed.Inbox, SQL) before Pivotal
hears 2xx; it is applied after the answer and marked done. An entry recorded but never
marked done (a crash, SIGKILL, a restart) is claimed again once its lease runs out, by
this process at start-up or by any replica sharing the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from bot.config import Settings
from bot.logs import event
from bot.lookup.changes import Changes
from bot.lookup.directory import Directory
from bot.lookup.durable import StoreUnavailable
from bot.lookup.feed import (
    SEEN_FOR_SECONDS,
    FeedLiveness,
    Inbox,
    InboxEntry,
    SeenEvents,
)
from bot.lookup.onboardings import OnboardingBook
from bot.lookup.refetch import Refetcher
from bot.pivotal.client import PivotalClient
from bot.pivotal.models import Customer, Signals
from bot.pivotal.webhooks import (
    ContactEvent,
    CustomerEvent,
    OnboardingEvent,
    OtherEvent,
    Ping,
    WebhookEvent,
    WebhookRejected,
    parse_event,
    parse_secrets,
)
from bot.state.changefeed import RedisChangeFeed
from bot.state.memory import MemoryEvents
from bot.state.redis import SharedRedis
from bot.state.shared import SharedEvents

log = logging.getLogger(__name__)

RECOVER_EVERY_SECONDS = 5.0  # at most; a lease shorter than that is looked at sooner
PURGE_EVERY_SECONDS = 3600.0


@dataclass
class Hooks:
    """Verifiers, the durable inbox, the feed's liveness, and where verified events go."""

    verifiers: tuple[Webhook, ...]
    inbox: Inbox
    feed: FeedLiveness
    changes: Changes
    refetcher: Refetcher
    # Replicas that keep separate inboxes (SQLite files) dedupe through Redis as well.
    seen: SeenEvents | None = None
    peers: RedisChangeFeed | None = None  # with REDIS_URL: changes reach every replica
    onboardings: OnboardingBook | None = None  # onboarding.* events keep it current
    # An entry being applied is left alone by others this long; a failed one waits as long.
    lease_seconds: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # False until the database is reached and migrated: deliveries are answered 503 then.
    inbox_ready: Callable[[], bool] = lambda: True
    applied: int = field(default=0)
    recovered: int = field(default=0)
    failed: int = field(default=0)

    async def record(self, hook: WebhookEvent, body: bytes) -> InboxEntry | None:
        """Commit a verified delivery; None when it was recorded (or claimed) before."""
        if not self.inbox_ready():
            raise StoreUnavailable("the database has not been reached yet")
        entry = await self.inbox.record(hook.id, body, lease_seconds=self.lease_seconds)
        if entry is None:
            return None
        if self.seen is not None and not await self.seen.first_time(hook.id):
            await self.inbox.done(entry.id)  # another replica's own inbox holds it
            return None
        return entry

    async def finish(self, entry: InboxEntry, hook: WebhookEvent) -> None:
        """Apply a recorded event and mark it done; a failure leaves it for a retry."""
        try:
            await self.handle(hook)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the inbox's boundary: whatever failed is retried
            self.failed += 1
            event(log, "pivotal.webhook.apply_failed", logging.ERROR, event_id=entry.event_id,
                  attempts=entry.attempts, error=type(exc).__name__)  # fmt: skip
            await self.inbox.retry_later(
                entry.id, type(exc).__name__, delay_seconds=self.lease_seconds
            )
            return
        await self.inbox.done(entry.id)

    async def handle(self, hook: WebhookEvent) -> None:
        """Apply one new verified event."""
        match hook:
            case CustomerEvent():
                applied = await self.changes.apply(hook)
                if applied.refetch:
                    self.refetcher.mark(applied.display_id)
                self.applied += 1
            case OnboardingEvent(onboarding=onboarding):
                kept = self.onboardings is not None and self.onboardings.put(onboarding)
                event(log, "pivotal.webhook.onboarding", type=hook.type, event_id=hook.id,
                      customer_id=onboarding.customer_id, kept=kept)  # fmt: skip
                self.applied += 1
            case ContactEvent():  # cards fetch contacts themselves; nothing is held to update
                event(log, "pivotal.webhook.ignored", type=hook.type, event_id=hook.id,
                      reason="contacts_not_held")  # fmt: skip
            case Ping():
                event(log, "pivotal.webhook.ping", event_id=hook.id)
            case OtherEvent(reason=reason):
                event(log, "pivotal.webhook.ignored", type=hook.type, event_id=hook.id,
                      reason=reason)  # fmt: skip

    async def recover(self) -> None:
        """Finish entries left undone (here before a restart, or by a replica that died);
        purge done ones past the dedupe horizon. Runs until cancelled."""
        purged_at = 0.0
        while True:
            try:
                await self.recover_once()
                if time.monotonic() - purged_at >= PURGE_EVERY_SECONDS:
                    purged_at = time.monotonic()
                    gone = await self.inbox.purge(older_than_seconds=SEEN_FOR_SECONDS)
                    event(log, "pivotal.webhook.purged", entries=gone)
            except StoreUnavailable as exc:  # the database is away: try again next round
                event(log, "pivotal.webhook.recover_failed", logging.WARNING,
                      error=type(exc).__name__)  # fmt: skip
            await self.sleep(min(RECOVER_EVERY_SECONDS, self.lease_seconds / 2))

    async def recover_once(self) -> int:
        """Claim and finish the entries whose lease has run out; how many there were."""
        if not self.inbox_ready():
            return 0
        entries = await self.inbox.claim(limit=100, lease_seconds=self.lease_seconds)
        for entry in entries:
            try:
                hook = parse_event(entry.body)
            except WebhookRejected as exc:  # verified once, so not expected: keep the reason
                await self.inbox.retry_later(entry.id, str(exc), delay_seconds=SEEN_FOR_SECONDS)
                continue
            event(log, "pivotal.webhook.recovered", event_id=entry.event_id,
                  attempts=entry.attempts)  # fmt: skip
            self.recovered += 1
            await self.finish(entry, hook)
        return len(entries)

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
        await self.changes.from_peer(display_id, customer, signals)

    async def tail(self) -> None:
        """Take the changes other replicas publish, until cancelled (with REDIS_URL)."""
        if self.peers is not None:
            await self.peers.tail(self.receive)


def build_hooks(
    settings: Settings,
    pivotal: PivotalClient,
    directory: Directory,
    changes: Changes,
    feed: FeedLiveness | None,
    inbox: Inbox,
    *,
    inbox_ready: Callable[[], bool],
    shared_inbox: bool,
    redis: SharedRedis | None = None,
    peers: RedisChangeFeed | None = None,
    onboardings: OnboardingBook | None = None,
) -> Hooks | None:
    """The webhook parts for `settings`, or None when no secret is configured (no feed)."""
    secret = settings.pivotal_webhook_secret
    if secret is None or feed is None:
        return None
    return Hooks(
        verifiers=parse_secrets(secret.get_secret_value()),
        inbox=inbox,
        feed=feed,
        changes=changes,
        refetcher=Refetcher(pivotal, directory, changes),
        # One PostgreSQL inbox dedupes for every replica; separate SQLite files need Redis.
        seen=_SharedSeen(redis) if redis is not None and not shared_inbox else None,
        peers=peers,
        onboardings=onboardings,
        lease_seconds=settings.webhook_lease_seconds,
        inbox_ready=inbox_ready,
    )


class _SharedSeen:
    """Event ids in Redis for 7 days (over this process's memory), apart from Slack's."""

    def __init__(self, redis: SharedRedis):
        local = MemoryEvents(ttl=SEEN_FOR_SECONDS)
        self._events = SharedEvents(redis, local, ttl=SEEN_FOR_SECONDS)

    async def first_time(self, event_id: str) -> bool:
        return await self._events.first_time(f"pivotal:{event_id}")
