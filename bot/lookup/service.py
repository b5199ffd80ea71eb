"""CustomerLookup: what finding a customer means, with cache, single-flight and stale-if-error.

Two entry points, one contract (an Outcome, never an exception):
``peek(query)`` is synchronous, so it cannot do I/O: it answers what memory can decide
(help, fresh copies, directory answers) and returns None when an answer needs Pivotal or
the first directory walk. ``resolve(query)`` is async and always decides.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from bot.logs import event
from bot.lookup.copies import Copies, CopyStore, MemoryCopyStore
from bot.lookup.directory import Directory, Snapshot
from bot.lookup.flights import LocalFlights, SingleFlight
from bot.lookup.onboardings import OnboardingBook
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
from bot.pivotal.models import Customer, Signals
from bot.pivotal.related import Onboarding

log = logging.getLogger(__name__)

Source = Literal["cache", "directory", "pivotal", "stale"]
FailureKind = Literal["auth", "rate_limited", "unavailable", "loading"]


@dataclass(frozen=True)
class Found:
    snapshot: Snapshot
    source: Source
    signals: Signals | None = None  # health and owner, when webhooks told them
    onboarding: Onboarding | None = None  # the current one, from the OnboardingBook
    today: date | None = None  # the day the onboarding's launch date is counted from

    @property
    def stale(self) -> bool:
        return self.source == "stale"


@dataclass(frozen=True)
class Matches:
    """Several customers match `text`: the best few, and how many matched in all."""

    text: str
    snapshots: tuple[Snapshot, ...]
    total: int


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


@dataclass(frozen=True)
class _Fetch:
    """A directory answer that still needs the customer itself: fetch `ref`."""

    ref: str
    what: str


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
        timer: Callable[[], float] = time.time,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        store: CopyStore | None = None,
        flights: SingleFlight | None = None,
        signals: SignalBook | None = None,
        kept_fresh: Callable[[float], bool] | None = None,
        onboardings: OnboardingBook | None = None,
    ):
        self._client = client
        self._directory = directory
        self._directory_wait = directory_wait
        # `timer` is wall-clock epoch seconds: copies may be written by another replica.
        self._copies = Copies(
            store if store is not None else MemoryCopyStore(max_entries=max_entries),
            directory.get,
            ttl=ttl,
            not_found_ttl=not_found_ttl,
            clock=timer,
            now=now,
        )
        self._flights = flights if flights is not None else LocalFlights()
        self._auth_failed_logged = False
        # Past the TTL, a copy stays fresh while webhooks keep it current (lookup/feed.py).
        self._kept_fresh = kept_fresh if kept_fresh is not None else _never
        self._signals = signals  # health and owner, when webhooks told them
        self._onboardings = onboardings  # the current onboarding per customer (no GET)
        self._now = now

    def best_copy(self, ref: str) -> Snapshot | None:
        """The newest copy held of `ref` (cache or directory), fresh or not; no I/O."""
        return self._copies.best(ref)

    async def remember(self, customer: Customer) -> None:
        """A copy Pivotal pushed (a webhook): it answers lookups at once, with no GET."""
        self._directory.upsert(await self._copies.put(customer))

    def peek(self, query: Query) -> Outcome | None:
        """The outcome of `query` if memory can decide it now, else None (never any I/O)."""
        match query:
            case HelpQuery() | InvalidQuery():
                return _help(query)
            case IdQuery(ref=ref):
                return self._held(ref)
            case ChannelQuery() | SlugQuery() | NameQuery():
                if not self._directory.ready:
                    return None
                step = self._listed(query)
                return self._held(step.ref) if isinstance(step, _Fetch) else step

    async def resolve(self, query: Query) -> Outcome:
        """The outcome of `query`, asking Pivotal (or waiting for the directory) if needed."""
        match query:
            case HelpQuery() | InvalidQuery():
                return _help(query)
            case IdQuery(ref=ref):
                return await self._by_ref(ref, f"#{ref}" if ref.isdigit() else ref)
            case ChannelQuery() | SlugQuery() | NameQuery():
                if not self._directory.ready:
                    if self._directory.last_error is None:
                        await self._directory.wait_ready(self._directory_wait)
                    if not self._directory.ready:
                        return self._directory_failure()
                step = self._listed(query)
                return await self._by_ref(step.ref, step.what) if isinstance(step, _Fetch) else step

    def _held(self, ref: str) -> Found | None:
        fresh = self._copies.fresh(ref)
        if fresh is not None:
            return self._found(*fresh)
        best = self._copies.best(ref)
        return self._found(best, "cache") if best and self._kept_fresh(best.fetched_at) else None

    def _found(self, snap: Snapshot, source: Source) -> Found:
        told = self._signals.get(snap.customer.display_id) if self._signals else None
        book = self._onboardings
        onboarding = book.current(snap.customer.id) if book is not None else None
        today = self._now().date() if onboarding is not None else None
        return Found(snap, source, told, onboarding, today)

    def _listed(self, query: ChannelQuery | SlugQuery | NameQuery) -> Outcome | _Fetch:
        """What the directory says about `query`: an answer, or which customer to fetch."""
        match query:
            case ChannelQuery(channel_id=channel_id):
                hits = tuple(self._directory.by_channel(channel_id))
                if not hits:
                    return Unlinked(channel_id)
                what, total = "this channel", len(hits)
            case SlugQuery(slug=slug):
                snap = self._directory.by_slug(slug)
                hits, what = (snap,) if snap else (), slug
                total = len(hits)
            case NameQuery(text=text, id_hint=id_hint):
                found = self._directory.search(text)
                hits, what, total = found.hits, text, found.total
                if not hits and id_hint:
                    return _Fetch(id_hint, text)
        if not hits:
            return NotFound(what)
        if total > 1:
            return Matches(what, hits, total)
        return _Fetch(hits[0].customer.id, what)

    async def refetch(self, ref: str) -> Outcome:
        """Ask Pivotal now, past any fresh copy (a Refresh click); a failure says why."""
        try:
            snap = await self._flights.run(ref, lambda: self._fetch_remote(ref))
        except CustomerNotFound:
            return NotFound(f"#{ref}" if ref.isdigit() else ref)
        except PivotalError as exc:
            return self._failure(exc)
        return self._found(snap, "pivotal")

    async def _by_ref(self, ref: str, what: str) -> Outcome:
        try:
            return await self._fetch(ref)
        except CustomerNotFound:
            return NotFound(what)
        except PivotalError as exc:
            return self._failure(exc)

    async def _fetch(self, ref: str) -> Found:
        """A customer by display_id or cuid; raises PivotalError when nothing can be shown."""
        held = self._held(ref)
        if held is None:
            await self._copies.pull(ref)
            held = self._held(ref)
        if held is not None:
            return held
        if self._copies.missing(ref):
            raise CustomerNotFound("recently not found")
        try:
            return self._found(
                await self._flights.run(ref, lambda: self._fetch_remote(ref)), "pivotal"
            )
        except (PivotalRateLimited, PivotalUnavailable):
            copy = self._copies.best(ref)
            if copy is None:
                raise
            return self._found(copy, "stale")

    async def _fetch_remote(self, ref: str) -> Snapshot:
        try:
            customer = await self._client.get_customer(ref)
        except CustomerNotFound:
            await self._copies.tombstone(ref)
            raise
        return await self._copies.put(customer)

    def _directory_failure(self) -> Failed:
        error = self._directory.last_error
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


def _never(fetched_at: float) -> bool:
    return False


def _help(query: HelpQuery | InvalidQuery) -> NeedsHelp:
    return NeedsHelp(query.reason if isinstance(query, InvalidQuery) else None)
