"""CustomerLookup: what finding a customer means, with cache, single-flight and stale-if-error."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, overload

from cachetools import LRUCache, TTLCache

from bot.logs import event
from bot.lookup.directory import Directory, Snapshot
from bot.lookup.query import (
    ChannelQuery,
    HelpQuery,
    IdQuery,
    InvalidQuery,
    NameQuery,
    Query,
    SlugQuery,
)
from bot.lookup.signals import SignalBook
from bot.pivotal.client import PivotalClient
from bot.pivotal.errors import (
    CustomerNotFound,
    PivotalAuthError,
    PivotalError,
    PivotalRateLimited,
    PivotalUnavailable,
)
from bot.pivotal.models import Signals

log = logging.getLogger(__name__)

Source = Literal["cache", "directory", "pivotal", "stale"]
FailureKind = Literal["auth", "rate_limited", "unavailable", "loading"]


@dataclass(frozen=True)
class Found:
    snapshot: Snapshot
    source: Source
    signals: Signals | None = None  # health and owner, when webhooks told them

    @property
    def stale(self) -> bool:
        return self.source == "stale"


@dataclass(frozen=True)
class Matches:
    text: str
    snapshots: tuple[Snapshot, ...]


@dataclass(frozen=True)
class NotFound:
    what: str  # as the user wrote it: "#42", "acme"


@dataclass(frozen=True)
class Unlinked:
    channel_id: str


@dataclass(frozen=True)
class NeedsHelp:
    reason: str | None = None


@dataclass(frozen=True)
class Failed:
    kind: FailureKind
    retry_after: float | None = None


Outcome = Found | Matches | NotFound | Unlinked | NeedsHelp | Failed


class CustomerLookup:
    """Answers queries from memory where it can and from Pivotal where it must."""

    def __init__(
        self,
        client: PivotalClient,
        directory: Directory,
        *,
        ttl: float,
        not_found_ttl: float = 30.0,
        max_entries: int = 20_000,
        directory_wait: float = 3.0,
        timer: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._client = client
        self.directory = directory
        self._ttl = ttl
        self._timer = timer
        self._now = now
        self._directory_wait = directory_wait
        # Last good copy of each customer by display_id and cuid, fresh or not: fresh
        # copies answer lookups, older ones stand in while Pivotal fails.
        self._copies: LRUCache[str, Snapshot] = LRUCache(maxsize=max_entries)
        self._missing: TTLCache[str, bool] = TTLCache(1024, ttl=not_found_ttl, timer=timer)
        # When Pivotal last said 404 for a ref: directory copies older than that are gone too.
        self._gone: LRUCache[str, float] = LRUCache(maxsize=max_entries)
        self._inflight: dict[str, asyncio.Task[Snapshot]] = {}
        self._auth_failed_logged = False
        # Past the TTL, a copy stays fresh while webhooks keep it current (see lookup/feed.py).
        self.kept_fresh: Callable[[float], bool] = lambda fetched_at: False
        self.signals: SignalBook | None = None

    @overload
    async def resolve(self, query: Query, *, io: Literal[True] = True) -> Outcome: ...

    @overload
    async def resolve(self, query: Query, *, io: Literal[False]) -> Outcome | None: ...

    async def resolve(self, query: Query, *, io: bool = True) -> Outcome | None:
        """The outcome of `query`; with io=False, None when an answer would need I/O."""
        outcome = await self._resolve(query, io=io)
        if isinstance(outcome, Found) and self.signals is not None:
            told = self.signals.get(outcome.snapshot.customer.display_id)
            return replace(outcome, signals=told) if told else outcome
        return outcome

    async def _resolve(self, query: Query, *, io: bool) -> Outcome | None:
        match query:
            case HelpQuery():
                return NeedsHelp()
            case InvalidQuery(reason=reason):
                return NeedsHelp(reason)
            case IdQuery(ref=ref):
                return await self._by_ref(ref, f"#{ref}" if ref.isdigit() else ref, io=io)
            case ChannelQuery() | SlugQuery() | NameQuery():
                return await self._via_directory(query, io=io)

    async def fetch(self, ref: str, *, io: bool = True) -> Found | None:
        """A customer by display_id or cuid; raises PivotalError when nothing can be shown."""
        fresh = self._fresh_copy(ref)
        if fresh is not None or not io:
            return fresh
        if ref in self._missing:
            raise CustomerNotFound("recently not found")
        try:
            return Found(await self._single_flight(ref), "pivotal")
        except CustomerNotFound:
            self._forget(ref)
            raise
        except (PivotalRateLimited, PivotalUnavailable):
            copy = self._best_copy(ref)
            if copy is None:
                raise
            return Found(copy, "stale")

    async def _by_ref(self, ref: str, what: str, *, io: bool) -> Outcome | None:
        try:
            return await self.fetch(ref, io=io)
        except CustomerNotFound:
            return NotFound(what)
        except PivotalError as exc:
            return self._failure(exc)

    async def _via_directory(
        self, query: ChannelQuery | SlugQuery | NameQuery, *, io: bool
    ) -> Outcome | None:
        if not self.directory.ready:
            if not io:
                return None
            if self.directory.last_error is None:
                await self.directory.wait_ready(self._directory_wait)
            if not self.directory.ready:
                return self._directory_failure()
        match query:
            case ChannelQuery(channel_id=channel_id):
                hits = self.directory.by_channel(channel_id)
                if not hits:
                    return Unlinked(channel_id)
                what = "this channel"
            case SlugQuery(slug=slug):
                snap = self.directory.by_slug(slug)
                hits = [snap] if snap else []
                what = slug
            case NameQuery(text=text, id_hint=id_hint):
                hits = self.directory.search(text)
                what = text
                if not hits and id_hint:
                    return await self._by_ref(id_hint, text, io=io)
        if not hits:
            return NotFound(what)
        if len(hits) > 1:
            return Matches(what, tuple(hits))
        return await self._by_ref(hits[0].customer.id, what, io=io)

    async def _single_flight(self, ref: str) -> Snapshot:
        task = self._inflight.get(ref)
        if task is None:
            task = asyncio.create_task(self._fetch_remote(ref))
            self._inflight[ref] = task
            task.add_done_callback(lambda done: self._settle(ref, done))
        return await asyncio.shield(task)

    def _settle(self, ref: str, task: asyncio.Task[Snapshot]) -> None:
        self._inflight.pop(ref, None)
        if not task.cancelled():
            task.exception()  # retrieved here so an unawaited failure is not reported

    async def _fetch_remote(self, ref: str) -> Snapshot:
        customer = await self._client.get_customer(ref)
        snap = Snapshot(customer, self._timer(), self._now())
        self._copies[customer.id] = snap
        self._copies[str(customer.display_id)] = snap
        for key in (customer.id, str(customer.display_id)):
            self._missing.pop(key, None)
            self._gone.pop(key, None)
        return snap

    def best_copy(self, ref: str) -> Snapshot | None:
        """The newest copy held of `ref` (cache or directory), fresh or not; no I/O."""
        return self._best_copy(ref)

    def remember(self, snap: Snapshot) -> None:
        """A copy Pivotal pushed (a webhook): it answers lookups at once, with no GET."""
        customer = snap.customer
        for key in (customer.id, str(customer.display_id)):
            self._copies[key] = snap
            self._missing.pop(key, None)
            self._gone.pop(key, None)
        self.directory.upsert(snap)

    def _fresh_copy(self, ref: str) -> Found | None:
        copy = self._best_copy(ref)
        if copy is None:
            return None
        if self._timer() - copy.fetched_at >= self._ttl and not self.kept_fresh(copy.fetched_at):
            return None
        return Found(copy, "cache" if self._copies.get(ref) is copy else "directory")

    def _best_copy(self, ref: str) -> Snapshot | None:
        mine, listed = self._copies.get(ref), self.directory.get(ref)
        if listed is not None and listed.fetched_at <= self._gone.get(ref, float("-inf")):
            listed = None
        if mine is None or (listed is not None and listed.fetched_at > mine.fetched_at):
            return listed
        return mine

    def _forget(self, ref: str) -> None:
        self._missing[ref] = True
        keys = {ref}
        for copy in (self._copies.get(ref), self.directory.get(ref)):
            if copy is not None:
                keys.update((copy.customer.id, str(copy.customer.display_id)))
        gone_at = self._timer()
        for key in keys:
            self._copies.pop(key, None)
            self._gone[key] = gone_at

    def _directory_failure(self) -> Failed:
        error = self.directory.last_error
        return self._failure(error) if error is not None else Failed("loading")

    def _failure(self, exc: PivotalError) -> Failed:
        if isinstance(exc, PivotalAuthError):
            if not self._auth_failed_logged:
                self._auth_failed_logged = True
                event(log, "pivotal.auth.rejected", logging.ERROR, status=exc.status,
                      code=exc.code, fix="set PIVOTAL_API_KEY to an active key")  # fmt: skip
            return Failed("auth")
        if isinstance(exc, PivotalRateLimited):
            return Failed("rate_limited", exc.retry_after)
        return Failed("unavailable")
