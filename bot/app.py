"""Builds the dependencies once and wires the listeners; no handlers live here."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.message import CardSettings
from bot.config import Settings
from bot.follows.planner import Planner
from bot.follows.snoozes import run as snooze_waker
from bot.logs import event
from bot.lookup.changed import ChangeHandler, CustomerChanged, Subscribers
from bot.lookup.changes import Changes, LookupCopies
from bot.lookup.directory import Directory
from bot.lookup.feed import FeedLiveness
from bot.lookup.linking import ChannelLinks
from bot.lookup.lists import Lists
from bot.lookup.onboardings import OnboardingBook, walk_onboardings
from bot.lookup.service import CustomerLookup
from bot.lookup.signals import SignalBook
from bot.pivotal.client import PivotalClient
from bot.pivotal.ratelimit import RateGovernor
from bot.slack import (
    actions,
    commands,
    errors,
    events,
    export,
    follow,
    home,
    lifecycle,
    links,
    lists,
    middleware,
    notify,
    options,
    refresh,
    shortcuts,
    unfurls,
)
from bot.slack.deps import InFlight, ListenerDeps, Lookup
from bot.slack.digests import DigestRunner
from bot.slack.identity import BotIdentity
from bot.slack.live import LiveCards
from bot.slack.middleware import EventLog
from bot.slack.notify import Sender
from bot.slack.people import People
from bot.slack.privacy import CardMode, ChannelSharing
from bot.slack.webapi import Pacer
from bot.state.changefeed import RedisChangeFeed
from bot.state.wiring import Stores, build_stores
from bot.store.wiring import Durable, build_durable
from bot.webhooks.hooks import Hooks, build_hooks

log = logging.getLogger(__name__)

SIGNALS_KEPT = 50_000  # the signal book's bound: what is loaded from the durable tier


@dataclass
class Deps:
    """Everything the process runs on, built once; listeners see only `listeners()`."""

    settings: Settings
    pivotal: PivotalClient
    directory: Directory
    lookup: Lookup
    cards: CardSettings
    slack: AsyncWebClient
    sharing: ChannelSharing
    identity: BotIdentity
    stores: Stores
    durable: Durable
    lists: Lists  # "which customers…?" over the directory and the signal book
    people: People
    inflight: InFlight = field(default_factory=InFlight)
    background: list[asyncio.Task[None]] = field(default_factory=list)
    signals: SignalBook = field(default_factory=SignalBook)
    onboardings: OnboardingBook = field(default_factory=OnboardingBook)
    planner: Planner | None = None  # changes -> the notifications follows owe
    digests: DigestRunner | None = None  # daily digests and quiet hours, when due
    sender: Sender | None = None  # posts the notifications follows owe, exactly once
    hooks: Hooks | None = None  # set when PIVOTAL_WEBHOOK_SECRET is
    live: LiveCards | None = None  # likewise: posted cards follow their customers
    links: ChannelLinks | None = None  # `/customer link`: writes slack_channel_id

    def listeners(self) -> ListenerDeps:
        """The narrow view listeners get."""
        return ListenerDeps(
            lookup=self.lookup,
            cards=self.cards,
            sharing=self.sharing,
            inflight=self.inflight,
            slack=self.slack,
            app_url=self.settings.app_url,
            directory=self.directory,
            recent=self.stores.recent,
            lists=self.lists,
            people=self.people,
            follows=self.durable.follows,
            outbox=self.durable.outbox,
            live=self.live,
            links=self.links,
            change_delay_seconds=(
                None
                if self.settings.pivotal_webhook_secret is not None
                else self.settings.directory_refresh_seconds
            ),
        )

    async def start(self) -> None:
        """Start the directory walks and learn the bot's identity, both in the background."""
        if not self.background:
            self.background.append(asyncio.create_task(self.directory.run(), name="directory"))
            self.background.append(asyncio.create_task(self.identity.prime(), name="identity"))
            every = lambda: self.directory.refresh_seconds  # noqa: E731
            walk = walk_onboardings(self.onboardings, self.pivotal, every)
            self.background.append(asyncio.create_task(walk, name="onboardings"))
            if await self.durable.open():  # bounded: a database away costs ~3 s, once
                self.signals.load(await self.durable.signals.load(limit=SIGNALS_KEPT))
            else:
                retry = self._open_durable()
                self.background.append(asyncio.create_task(retry, name="durable"))
            if self.hooks is not None:
                hooks = self.hooks
                self.background += [
                    asyncio.create_task(hooks.refetcher.run(), name="refetch"),
                    asyncio.create_task(hooks.tail(), name="changes"),
                    asyncio.create_task(hooks.recover(), name="inbox"),
                ]
            if self.live is not None:
                self.background.append(asyncio.create_task(self.live.run(), name="live"))
            self.background.append(asyncio.create_task(self.lists.run(), name="lists"))
            if self.planner is not None:
                self.background.append(asyncio.create_task(self.planner.run(), name="planner"))
            snoozes = snooze_waker(self.durable.follows, ready=lambda: self.durable.ready)
            self.background.append(asyncio.create_task(snoozes, name="snoozes"))
            if self.digests is not None:
                self.background.append(asyncio.create_task(self.digests.run(), name="digests"))
            if self.sender is not None:
                self.background.append(asyncio.create_task(self.sender.run(), name="notify"))

    async def _open_durable(self) -> None:
        """Reach and migrate the database (retrying while it is away), then load what it
        kept; lookups never wait for it."""
        await self.durable.open_eventually()
        self.signals.load(await self.durable.signals.load(limit=SIGNALS_KEPT))

    async def aclose(self, drain_timeout: float = 10.0) -> None:
        """Let answered-but-unfinished lookups end, then stop walks and close clients."""
        left = await self.inflight.drain(drain_timeout)
        if left:
            event(log, "shutdown.unfinished", logging.WARNING, count=left)
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        self.background.clear()
        await self.pivotal.aclose()
        await self.stores.aclose()
        await self.durable.aclose()

    @property
    def events(self) -> EventLog:
        return self.stores.events


def build_deps(settings: Settings, *, timer: Callable[[], float] | None = None) -> Deps:
    """Real clients for `settings`; tests point the URLs at local fakes instead of patching.

    `timer` is the wall clock cached copies age by (epoch seconds): tests pass one they
    can move forward. Any field can be swapped before `create_app` reads it.
    """
    timer = timer or time.time
    deadline = settings.pivotal_timeout_seconds
    stores = build_stores(settings)
    durable = build_durable(settings)
    governor = RateGovernor(
        budget=stores.budget, assumed_limit=30 if settings.pivotal_key_is_test else 60
    )
    pivotal = PivotalClient(
        settings.api_url,
        settings.pivotal_api_key,
        governor=governor,
        deadline=deadline,
        read_timeout=min(2.5, deadline * 0.55),
    )
    feed = _webhook_feed(settings)
    directory = Directory(
        pivotal,
        refresh_seconds=settings.directory_refresh_seconds,
        timer=timer,
        shared=stores.directory,
        interval=_walk_interval(settings, feed),
    )
    signals = SignalBook()
    onboardings = OnboardingBook()
    lookup = CustomerLookup(
        pivotal,
        directory,
        ttl=settings.cache_ttl_seconds,
        timer=timer,
        store=stores.copies,
        flights=stores.flights,
        signals=signals,
        kept_fresh=feed.covers if feed is not None else None,
        onboardings=onboardings,
    )
    slack = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_url,
        timeout=5,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    cards = CardSettings(
        app_url=settings.app_url,
        currency=settings.currency,
        hubspot_portal_id=settings.hubspot_portal_id,
        hubspot_host=settings.hubspot_host,
        intercom_app_id=settings.intercom_app_id,
        stripe_test_mode=settings.stripe_test_mode,
    )
    live = _live_cards(settings, slack, lookup, cards, stores) if feed is not None else None
    peers = RedisChangeFeed(stores.redis) if feed is not None and stores.redis else None
    planner = Planner(durable.follows, durable.outbox)
    sharing = ChannelSharing(
        slack, shared=CardMode(settings.external_unfurls.value), store=stores.sharing
    )
    sender = _sender(settings, durable, sharing, directory, cards, stores)
    changes = Changes(
        LookupCopies(lookup),
        signals,
        subscribers=Subscribers(
            every_replica=(_redraw(live),) if live is not None else (),
            once=(*((peers.share,) if peers is not None else ()), planner, _woken(sender)),
        ),
        kept=durable.signals,
    )
    directory.on_walked = changes.walked  # polling sees changes too (follows without webhooks)
    channel_links = ChannelLinks(pivotal, directory, lookup.best_copy, changes.refreshed,
                                 settings.channel_linkers)  # fmt: skip
    hooks = build_hooks(settings, pivotal, directory, changes, feed, durable.inbox,
                        inbox_ready=lambda: durable.ready, shared_inbox=durable.database.shared,
                        redis=stores.redis, peers=peers, onboardings=onboardings)  # fmt: skip
    digests = DigestRunner(durable.follows, durable.outbox, slack, sharing, directory, cards)
    return Deps(
        settings,
        pivotal,
        directory,
        lookup,
        cards,
        slack,
        sharing,
        BotIdentity(slack),
        stores,
        durable,
        Lists(directory, signals, kept=durable.signals),
        People(slack),
        signals=signals,
        onboardings=onboardings,
        planner=planner,
        digests=digests,
        sender=sender,
        hooks=hooks,
        live=live,
        links=channel_links,
    )


def _webhook_feed(settings: Settings) -> FeedLiveness | None:
    """Whether Pivotal still delivers, when a webhook secret is set."""
    if settings.pivotal_webhook_secret is None:
        return None
    return FeedLiveness(quiet_seconds=settings.webhook_quiet_seconds)


def _walk_interval(settings: Settings, feed: FeedLiveness | None) -> Callable[[], float]:
    """With deliveries arriving the walk is a slow reconcile (deletes send no event)."""
    reconcile, poll = settings.directory_reconcile_seconds, settings.directory_refresh_seconds
    if feed is None:
        return lambda: poll
    return lambda: reconcile if feed.live else poll


def _redraw(live: LiveCards) -> ChangeHandler:
    """Live cards as a subscriber on every replica (the shared registry redraws once)."""

    async def redraw(change: CustomerChanged) -> None:
        live.changed(change.display_id)

    return redraw


def _live_cards(
    settings: Settings,
    slack: AsyncWebClient,
    lookup: CustomerLookup,
    cards: CardSettings,
    stores: Stores,
) -> LiveCards:
    """Posted cards follow their customers; redraws get a 429 back at once (no retries
    of the client's own), so the pacer every replica shares is the one that holds back."""
    redraws = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_url,
        timeout=5,
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=1)],
    )
    pacer = Pacer(stores.pacer)
    return LiveCards(slack, lookup, cards, stores.live, pacer=pacer, redraws=redraws)


def _woken(sender: Sender) -> ChangeHandler:
    """After the planner: a change it folded is sent now, not at the next poll."""

    async def wake(change: CustomerChanged) -> None:
        sender.wake()

    return wake


def _sender(
    settings: Settings,
    durable: Durable,
    sharing: ChannelSharing,
    directory: Directory,
    cards: CardSettings,
    stores: Stores,
) -> Sender:
    """The notification sender, on a client of its own with no retries at all: a post
    that did not answer may have happened (the sender looks before posting again), and a
    429 reschedules the row instead of sleeping while it holds the lease."""
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_url,
        timeout=5,
        retry_handlers=[],
    )
    return Sender(durable.follows, durable.outbox, client, sharing, directory, cards,
                  pacer=Pacer(stores.pacer), ready=lambda: durable.ready)  # fmt: skip


class _TokenSkippedWarning(logging.Filter):
    """Drops Bolt's "token will be unused": it reads SLACK_BOT_TOKEN itself, and our client
    is tokenless on purpose (authorize() supplies the token), so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _quiet_bolt_token_warning() -> None:
    bolt = logging.getLogger("slack_bolt.AsyncApp")
    if not any(isinstance(f, _TokenSkippedWarning) for f in bolt.filters):
        bolt.addFilter(_TokenSkippedWarning())


def create_app(deps: Deps) -> AsyncApp:
    """The Bolt app with every listener registered against `deps`."""
    settings = deps.settings
    secret = settings.slack_signing_secret

    async def authorize() -> AuthorizeResult:  # Bolt reads argument names: no bound method
        return await deps.identity.authorize()

    _quiet_bolt_token_warning()
    app = AsyncApp(
        # Tokenless: authorize() supplies the token. Same API URL, so Socket Mode's
        # apps.connections.open goes where SLACK_API_URL says.
        client=AsyncWebClient(base_url=settings.slack_url, timeout=5),
        authorize=authorize,
        signing_secret=secret.get_secret_value() if secret else None,
        request_verification_enabled=secret is not None,
        # Listeners ack and hand their I/O to deps.inflight, so Bolt can answer Slack as
        # soon as the listener returns instead of polling for the ack every 10 ms.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    middleware.register(app, settings.allowed_team_ids, deps.events)
    errors.register(app)
    listeners = deps.listeners()
    commands.register(app, listeners)
    unfurls.register(app, listeners)
    actions.register(app, listeners)
    events.register(app, listeners)
    options.register(app, listeners)
    refresh.register(app, listeners)
    home.register(app, listeners)
    shortcuts.register(app, listeners)
    lists.register(app, listeners)
    export.register(app, listeners)
    links.register(app, listeners)
    follow.register(app, listeners)
    lifecycle.register(app, listeners)
    notify.register(app, listeners)
    return app
