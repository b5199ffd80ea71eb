"""All customers in memory, indexed by channel, id, slug, domain and name."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.logs import event
from bot.lookup.heap import settle_heap
from bot.lookup.search import SearchIndex, SearchResult, SearchRow
from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import PivotalError
from bot.pivotal.models import Customer, instant

log = logging.getLogger(__name__)

MAX_MATCHES = 10
INACTIVE_STATUSES = frozenset({"archived", "churned"})  # listed after active customers


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A customer as Pivotal described it at `as_of`; `fetched_at` is epoch seconds."""

    customer: Customer
    fetched_at: float
    as_of: datetime


@dataclass(frozen=True)
class WalkStats:
    pages: int
    customers: int
    skipped: int
    seconds: float


@dataclass
class _Index:
    by_key: dict[str, Snapshot] = field(default_factory=dict)
    by_channel: dict[str, list[Snapshot]] = field(default_factory=dict)
    by_slug: dict[str, Snapshot] = field(default_factory=dict)
    # Folded names, slugs and domains of cuids: built once per walk, searched on every
    # lookup; the hits are read through by_key, so a webhook's newer copy is what is found.
    names: SearchIndex[str] = field(default_factory=lambda: SearchIndex(()))
    stale_names: bool = False  # a webhook changed a name, slug, domain or status

    @classmethod
    def build(cls, snapshots: Iterable[Snapshot]) -> _Index:
        index = cls()
        for snap in snapshots:
            if snap.customer.id in index.by_key:
                continue  # a walk may see a row twice while records change
            index.add(snap)
        index.rebuild_names()
        return index

    def add(self, snap: Snapshot) -> None:
        c = snap.customer
        self.by_key[c.id] = snap
        self.by_key[str(c.display_id)] = snap
        if c.slack_channel_id:
            self.by_channel.setdefault(c.slack_channel_id, []).append(snap)
        if c.slug:
            self.by_slug[c.slug.casefold()] = snap

    def rebuild_names(self) -> None:
        self.stale_names = False
        self.names = SearchIndex(self.rows())

    def rows(self) -> list[SearchRow[str]]:
        return [_row(snap) for key, snap in self.by_key.items() if key == snap.customer.id]

    def replace(self, old: Snapshot, new: Snapshot) -> None:
        """Swap one customer's entry (a webhook's copy); the name index follows lazily."""
        c = old.customer
        for key in (c.id, str(c.display_id)):
            if self.by_key.get(key) is old:
                del self.by_key[key]
        if c.slack_channel_id in self.by_channel:
            kept = [s for s in self.by_channel[c.slack_channel_id] if s is not old]
            self.by_channel[c.slack_channel_id] = kept
        if c.slug and self.by_slug.get(c.slug.casefold()) is old:
            del self.by_slug[c.slug.casefold()]
        self.add(new)
        if _searched_by(old) != _searched_by(new):
            self.stale_names = True

    def hits(self, cuids: Iterable[str]) -> tuple[Snapshot, ...]:
        return tuple(self.by_key[cuid] for cuid in cuids if cuid in self.by_key)


def _searched_by(snap: Snapshot) -> tuple[object, ...]:
    c = snap.customer
    return (c.id, c.name, c.slug, c.domain, c.status in INACTIVE_STATUSES)


def _row(snap: Snapshot) -> SearchRow[str]:
    c = snap.customer
    return SearchRow(c.id, c.name, c.slug, c.domain, c.status in INACTIVE_STATUSES)


class DirectoryShare(Protocol):
    """Several replicas share one list: one walks and publishes it, the others load it."""

    async def refresh(self, directory: Directory) -> float:
        """Bring `directory` up to date (load or walk); seconds until it should ask again."""
        ...


class Directory:
    """The whole customer list, walked at start-up and every `refresh_seconds`."""

    def __init__(
        self,
        client: PivotalClient,
        *,
        refresh_seconds: float,
        timer: Callable[[], float] = time.time,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared: DirectoryShare | None = None,
        interval: Callable[[], float] | None = None,
    ):
        self._client = client
        self._shared = shared
        self._sleep = sleep
        self._refresh = refresh_seconds
        self._timer = timer
        self._now = now
        self._index = _Index()
        self._ready = asyncio.Event()
        self.version = 0  # goes up whenever the list changes: views built from it compare
        # Told, after each walk (or list loaded from another replica), what it changed:
        # display_id -> (before, after); None on one side is a customer new or gone.
        self.on_walked: Callable[[Walked], Awaitable[None]] | None = None
        self.last_walk: WalkStats | None = None
        self.loaded_at: float | None = None  # epoch seconds of the list now in the index
        self.last_error: PivotalError | None = None
        self._walking: asyncio.Task[WalkStats] | None = None
        self._renaming: asyncio.Task[None] | None = None
        # How long to wait between walks, asked after each one (webhooks slow it down).
        self._interval = interval if interval is not None else lambda: self._refresh

    @property
    def ready(self) -> bool:
        """True once the first walk has finished."""
        return self._ready.is_set()

    def __len__(self) -> int:
        if self._index.stale_names:
            return len(self._index.rows())
        return len(self._index.names)

    async def wait_ready(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def load(self, customers: Iterable[Customer]) -> None:
        """Replace the index with `customers`, fetched now (also used by tests)."""
        fetched_at, as_of = self._timer(), self._now()
        self._index = _Index.build(Snapshot(c, fetched_at, as_of) for c in customers)
        self.loaded_at = as_of.timestamp()
        self.version += 1
        self._ready.set()

    def upsert(self, snap: Snapshot) -> None:
        """Put one customer's newer copy in the index at once (from a webhook)."""
        c = snap.customer
        old = self._index.by_key.get(c.id) or self._index.by_key.get(str(c.display_id))
        if old is None:
            self._index.add(snap)
            self._index.stale_names = True
            self.version += 1
        elif not _older(snap, old):
            self._index.replace(old, snap)
            self.version += 1

    async def install(self, snapshots: Iterable[Snapshot], *, loaded_at: float) -> None:
        """Replace the index with a list read elsewhere (another replica's walk)."""
        before, self._index = self._index, _Index.build(snapshots)
        self.loaded_at = loaded_at
        self.version += 1
        settle_heap()
        self._ready.set()
        await self._tell_walked(before)

    async def _tell_walked(self, before: _Index) -> None:
        """What a new list changed, to `on_walked`; nothing after the first list (all of it
        would be "new") or when nobody listens."""
        if self.on_walked is None or not before.by_key:
            return
        changed = walked_changes(_customers(before), _customers(self._index))
        if changed:
            event(log, "directory.walk.changed", customers=len(changed))
            await self.on_walked(changed)

    def snapshots(self) -> list[Snapshot]:
        """Every customer in the index, once each."""
        by_key = self._index.by_key
        return [snap for key, snap in by_key.items() if key == snap.customer.id]

    @property
    def refresh_seconds(self) -> float:
        """How long a walked list counts as current (longer while webhooks keep it live)."""
        return self._interval()

    async def walk(self) -> WalkStats:
        """Walk now, or join the walk already under way (one walk at a time)."""
        if self._walking is None or self._walking.done():
            self._walking = asyncio.create_task(self._walk())
        return await asyncio.shield(self._walking)

    async def _walk(self) -> WalkStats:
        """Read every page of GET /customers and swap in a new index at the end."""
        started = time.monotonic()
        snapshots: list[Snapshot] = []
        pages = skipped = 0
        async for page in self._client.iter_customers(background=True):
            pages += 1
            skipped += page.skipped
            fetched_at, as_of = self._timer(), self._now()
            snapshots.extend(Snapshot(c, fetched_at, as_of) for c in page.data)
            if pages % 10 == 0:
                event(log, "directory.walk.progress", pages=pages, customers=len(snapshots),
                      seconds=time.monotonic() - started)  # fmt: skip
        # Folding 100,000 names takes seconds: off the event loop, so acks keep flowing.
        index = await asyncio.to_thread(_Index.build, snapshots)
        # A webhook may have delivered a newer copy while the walk was reading pages.
        newer = [s for s in self._index.by_key.values() if _newer_than_listed(s, index)]
        before = self._index
        self._index = index
        del snapshots
        settle_heap()
        for snap in newer:
            self.upsert(snap)
        self.loaded_at = self._now().timestamp()
        self.version += 1
        self._ready.set()
        await self._tell_walked(before)
        stats = WalkStats(pages, len(self._index.names), skipped, time.monotonic() - started)
        self.last_walk = stats
        event(log, "directory.walk.done", pages=stats.pages, customers=stats.customers,
              skipped=stats.skipped, seconds=stats.seconds)  # fmt: skip
        return stats

    async def run(self) -> None:
        """Walk now and then every `refresh_seconds`; failures back off and retry."""
        failures = 0
        while True:
            try:
                delay = await self._shared.refresh(self) if self._shared else None
                if delay is None:
                    await self.walk()
                    delay = self._interval()
                failures, self.last_error = 0, None
            except PivotalError as exc:
                failures, self.last_error = failures + 1, exc
                delay = min(self._refresh, 5.0 * 2 ** min(failures, 6))
                event(log, "directory.walk.failed", logging.WARNING, error=type(exc).__name__,
                      retry_in=delay)  # fmt: skip
            await self._sleep(delay)

    def get(self, ref: str) -> Snapshot | None:
        """By display_id (as digits) or cuid."""
        return self._index.by_key.get(ref)

    def by_channel(self, channel_id: str) -> list[Snapshot]:
        return list(self._index.by_channel.get(channel_id, ()))

    def by_slug(self, slug: str) -> Snapshot | None:
        return self._index.by_slug.get(slug.casefold())

    def search(self, text: str, *, limit: int = MAX_MATCHES) -> SearchResult[Snapshot]:
        """The best `limit` matches for `text` (exact, then prefix, then fuzzy) and their total."""
        found = self._names().search(text, limit=limit)
        return SearchResult(self._index.hits(found.hits), found.total)

    def exact(self, text: str) -> tuple[Snapshot, ...]:
        """Customers whose name, slug or domain is exactly `text` (case and accents aside)."""
        return self._index.hits(self._names().exact(text))

    def _names(self) -> SearchIndex[str]:
        """The name index; after webhook renames, rebuilt off the event loop (~1 s per 10k)."""
        index = self._index
        if index.stale_names and (self._renaming is None or self._renaming.done()):
            try:
                self._renaming = asyncio.get_running_loop().create_task(_reindex(index))
            except RuntimeError:  # no event loop (a script or a test): rebuild right here
                index.rebuild_names()
        return index.names


async def _reindex(index: _Index) -> None:
    index.stale_names = False
    index.names = await asyncio.to_thread(SearchIndex, index.rows())


Walked = dict[int, tuple[Customer | None, Customer | None]]


def walked_changes(before: dict[str, Customer], after: dict[str, Customer]) -> Walked:
    """Customers (by cuid) that differ between two lists, as display_id -> (before, after)."""
    changed: Walked = {}
    for cuid, now in after.items():
        was = before.get(cuid)
        if was != now:
            changed[now.display_id] = (was, now)
    for cuid, was in before.items():
        if cuid not in after:
            changed[was.display_id] = (was, None)
    return changed


def _customers(index: _Index) -> dict[str, Customer]:
    return {key: snap.customer for key, snap in index.by_key.items() if key == snap.customer.id}


def _older(snap: Snapshot, than: Snapshot) -> bool:
    return instant(snap.customer.updated_at) < instant(than.customer.updated_at)


def _newer_than_listed(snap: Snapshot, index: _Index) -> bool:
    listed = index.by_key.get(snap.customer.id)
    return listed is not None and listed is not snap and _older(listed, snap)
