"""The webhook side of the bot, built once when PIVOTAL_WEBHOOK_SECRET is set."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from standardwebhooks.webhooks import Webhook

from bot.config import Settings
from bot.logs import event
from bot.lookup.changes import Changes, LookupCopies
from bot.lookup.directory import Directory
from bot.lookup.feed import FeedLiveness, MemorySeenEvents, SeenEvents
from bot.lookup.refetch import Refetcher
from bot.lookup.service import CustomerLookup
from bot.lookup.signals import SignalBook
from bot.pivotal.client import PivotalClient
from bot.pivotal.webhooks import CustomerEvent, OtherEvent, Ping, WebhookEvent, parse_secrets

log = logging.getLogger(__name__)


@dataclass
class Hooks:
    """Verifiers, dedupe, the feed's liveness, and where verified events go."""

    verifiers: tuple[Webhook, ...]
    seen: SeenEvents
    feed: FeedLiveness
    changes: Changes
    refetcher: Refetcher
    applied: int = field(default=0)

    async def handle(self, hook: WebhookEvent) -> None:
        """Apply one new verified event (after the answer has gone)."""
        match hook:
            case CustomerEvent():
                applied = await self.changes.apply(hook)
                if applied.refetch:
                    self.refetcher.mark(applied.display_id)
                self.applied += 1
            case Ping():
                event(log, "pivotal.webhook.ping", event_id=hook.id)
            case OtherEvent(reason=reason):
                event(log, "pivotal.webhook.ignored", type=hook.type, event_id=hook.id,
                      reason=reason)  # fmt: skip


def build_hooks(
    settings: Settings,
    pivotal: PivotalClient,
    directory: Directory,
    lookup: CustomerLookup,
    *,
    timer: Callable[[], float] = time.monotonic,
    signals: SignalBook | None = None,
) -> Hooks | None:
    """The webhook parts for `settings`, or None when no secret is configured."""
    secret = settings.pivotal_webhook_secret
    if secret is None:
        return None
    feed = FeedLiveness(quiet_seconds=settings.webhook_quiet_seconds, timer=timer)
    changes = Changes(LookupCopies(lookup), signals or SignalBook())
    lookup.kept_fresh = feed.covers
    reconcile, poll = settings.directory_reconcile_seconds, settings.directory_refresh_seconds
    # With deliveries arriving the walk is a slow reconcile (deletes send no event).
    directory.interval = lambda: reconcile if feed.live else poll
    return Hooks(
        verifiers=parse_secrets(secret.get_secret_value()),
        seen=MemorySeenEvents(),
        feed=feed,
        changes=changes,
        refetcher=Refetcher(pivotal, directory, changes),
    )
