"""What listeners may use: one narrow, frozen object, and the work they leave running.

Listeners get a ``ListenerDeps`` and nothing else: no Pivotal client, no settings, and the
customer list only to read (``CustomerIndex``). A new dependency for listeners is one
field here (and its value where ``bot/app.py`` builds this object).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.message import CardSettings
from bot.follows.store import FollowStore, Outbox
from bot.lookup.directory import MAX_MATCHES, Snapshot
from bot.lookup.linking import ChannelLinks
from bot.lookup.lists import Lists
from bot.lookup.query import Query
from bot.lookup.search import SearchResult
from bot.lookup.service import Outcome
from bot.slack.people import People
from bot.slack.privacy import ChannelSharing
from bot.state.live import Posted
from bot.state.recent import RecentLookups


class Lookup(Protocol):
    """The domain as listeners see it (CustomerLookup is the real one)."""

    def peek(self, query: Query) -> Outcome | None:
        """What memory can answer now, without I/O; None when an answer needs I/O."""
        ...

    async def resolve(self, query: Query) -> Outcome:
        """The answer to `query`, asking Pivotal if it must."""
        ...

    async def refetch(self, ref: str) -> Outcome:
        """The customer `ref` fetched from Pivotal now, whatever memory holds."""
        ...


class CustomerIndex(Protocol):
    """The customer list as listeners read it (the Directory is the real one); no walks."""

    def get(self, ref: str) -> Snapshot | None:
        """By display_id (as digits) or cuid."""
        ...

    def by_channel(self, channel_id: str) -> list[Snapshot]: ...

    def by_slug(self, slug: str) -> Snapshot | None: ...

    def search(self, text: str, *, limit: int = MAX_MATCHES) -> SearchResult[Snapshot]:
        """The best `limit` matches for `text` and how many matched in all."""
        ...

    def exact(self, text: str) -> tuple[Snapshot, ...]:
        """Customers whose name, slug or domain is exactly `text`."""
        ...


class CardBook(Protocol):
    """Cards the bot posted or unfurled, kept so they follow their customer (LiveCards)."""

    async def remember(self, display_id: int, posted: Posted) -> None:
        """Keep `posted`, a card of customer `display_id` now in Slack."""
        ...

    async def kept(self, display_id: int, posted: Posted) -> Posted | None:
        """The record kept of the message or unfurl `posted` addresses, if there is one."""
        ...


@dataclass
class InFlight:
    """Work still running after its ack, so shutdown can let it finish."""

    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after the ack has gone, keeping it until it ends."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, timeout: float) -> int:
        """Wait up to `timeout` s for tracked work; returns how many were still running."""
        pending = {t for t in self.tasks if t is not asyncio.current_task()}
        if not pending:
            return 0
        _, still = await asyncio.wait(pending, timeout=timeout)
        return len(still)


@dataclass(frozen=True, slots=True)
class ListenerDeps:
    """Everything a listener may reach, built once per process."""

    lookup: Lookup
    cards: CardSettings
    sharing: ChannelSharing
    inflight: InFlight
    slack: AsyncWebClient
    app_url: str  # the Pivotal web app, whose customer links listeners recognise
    directory: CustomerIndex  # search, type-ahead, channel and slug look-ups
    recent: RecentLookups  # each user's own recent lookups, for their App Home
    lists: Lists  # "which customers…?": filters over the directory and webhook signals
    people: People  # who asked: email ("owner:me"), role, time zone
    follows: FollowStore  # who follows which customer or segment (the durable tier)
    outbox: Outbox  # the notifications follows owe; snoozes
    live: CardBook | None = None  # with webhooks: shared cards and unfurls follow changes
    links: ChannelLinks | None = None  # `/customer link`: set by build_deps, absent in tests
    # How late follows may notice a change: the directory's refresh interval when no webhook
    # secret is set (polling is all there is); None with webhooks.
    change_delay_seconds: float | None = None
