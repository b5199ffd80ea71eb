"""The freshness store: the last good copy of each customer, tombstones and 404 memory.

Two layers, so a shared implementation only has to store, never to decide:

``CopyStore`` (a Protocol) is where copies live. It keeps, per key (a display_id as digits
or a cuid):

- the newest ``Snapshot`` of the customer, stored under both of its keys;
- a tombstone: when Pivotal last answered 404 for the key, so older copies of the customer
  (the directory's included) are not shown again;
- the not-found memory: when a lookup *by this key* last got a 404, so repeats within
  ``not_found_ttl`` need no request.

Its contract, which every implementation (memory here, Redis for several replicas) keeps:

1. The synchronous methods (``copy``, ``gone_at``, ``missing_since``) answer from local
   memory and never do I/O: ``CustomerLookup.peek()`` calls them before the ack.
2. Everything that may touch a shared tier is async: ``put``, ``tombstone`` and ``pull``
   (bring what the shared tier knows about a key into local memory; a no-op in memory).
   A shared implementation keeps a local mirror that the async methods fill.
3. Times are wall-clock epoch seconds from one injected clock (never ``time.monotonic()``),
   so a copy written by one replica ages the same on another.
4. Values round-trip through JSON: ``dump_snapshot`` / ``load_snapshot`` are the wire form
   (``Customer.model_dump(mode="json")``), so nothing is ever pickled.
5. Stores are bounded (LRU): forgetting a copy early costs a request, never a wrong answer.

``Copies`` holds the rules over a store and the directory's snapshots: which copy is
fresh (younger than the TTL), which is the best stale one (newest, unless a tombstone is
newer), and whether a key is remembered as missing. Single-flight is not here: it lives in
``CustomerLookup`` behind its own ``SingleFlight`` seam.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

from cachetools import LRUCache

from bot.lookup.directory import Snapshot
from bot.pivotal.models import Customer

Clock = Callable[[], float]
Listed = Callable[[str], Snapshot | None]


def keys_of(customer: Customer) -> tuple[str, str]:
    """The two keys a customer is found under: its cuid and its display_id as digits."""
    return customer.id, str(customer.display_id)


def dump_snapshot(snap: Snapshot) -> dict[str, Any]:
    """The JSON form of a copy, as a shared store keeps it."""
    return {
        "customer": snap.customer.model_dump(mode="json"),
        "fetched_at": snap.fetched_at,
        "as_of": snap.as_of.isoformat(),
    }


def load_snapshot(data: Mapping[str, Any]) -> Snapshot:
    """A copy back from its JSON form; raises pydantic.ValidationError or ValueError if bad."""
    customer = Customer.model_validate(data["customer"])
    return Snapshot(customer, float(data["fetched_at"]), datetime.fromisoformat(data["as_of"]))


class CopyStore(Protocol):
    """Where copies, tombstones and 404 memory live (see the module docstring)."""

    def copy(self, key: str) -> Snapshot | None:
        """The newest copy stored under `key`, from local memory."""
        ...

    def gone_at(self, key: str) -> float | None:
        """When Pivotal last said 404 for `key`, from local memory."""
        ...

    def missing_since(self, key: str) -> float | None:
        """When a lookup by `key` last got a 404, from local memory."""
        ...

    async def put(self, snap: Snapshot) -> None:
        """Store `snap` under both its keys, clearing their tombstones and 404 memory."""
        ...

    async def tombstone(self, asked: str, keys: Collection[str], at: float) -> None:
        """Pivotal said 404 for `asked` at `at`: drop the copies under `keys`, remember it."""
        ...

    async def pull(self, key: str) -> None:
        """Bring what a shared tier knows about `key` into local memory."""
        ...


class MemoryCopyStore:
    """A CopyStore in this process only: the default without a shared tier."""

    def __init__(self, *, max_entries: int = 20_000, max_missing: int = 1024):
        self._copies: LRUCache[str, Snapshot] = LRUCache(maxsize=max_entries)
        self._gone: LRUCache[str, float] = LRUCache(maxsize=max_entries)
        self._missing: LRUCache[str, float] = LRUCache(maxsize=max_missing)

    def copy(self, key: str) -> Snapshot | None:
        return self._copies.get(key)

    def gone_at(self, key: str) -> float | None:
        return self._gone.get(key)

    def missing_since(self, key: str) -> float | None:
        return self._missing.get(key)

    def keep(self, snap: Snapshot) -> None:
        """Hold `snap` under its keys unless a newer copy is held; it clears their 404s."""
        for key in keys_of(snap.customer):
            current = self._copies.get(key)
            if current is None or current.fetched_at <= snap.fetched_at:
                self._copies[key] = snap
            self._missing.pop(key, None)
            self._gone.pop(key, None)

    def forget(self, asked: str, keys: Collection[str], at: float) -> None:
        """Pivotal answered 404 at `at` for `asked`: drop the copies under `keys`."""
        self._missing[asked] = at
        for key in keys:
            self._copies.pop(key, None)
            self._gone[key] = at

    def learn(self, key: str, *, gone_at: float | None, missing_since: float | None) -> None:
        """Times another replica recorded for `key`; the later of each pair stands."""
        if gone_at is not None:
            self._gone[key] = max(gone_at, self._gone.get(key, 0.0))
        if missing_since is not None:
            self._missing[key] = max(missing_since, self._missing.get(key, 0.0))

    async def put(self, snap: Snapshot) -> None:
        self.keep(snap)

    async def tombstone(self, asked: str, keys: Collection[str], at: float) -> None:
        self.forget(asked, keys, at)

    async def pull(self, key: str) -> None:
        return None


class Fresh(NamedTuple):
    """A copy young enough to show as current, and where it was held."""

    snapshot: Snapshot
    source: Literal["cache", "directory"]


class Copies:
    """The freshness rules over a CopyStore and the directory's own snapshots."""

    def __init__(
        self,
        store: CopyStore,
        listed: Listed,
        *,
        ttl: float,
        not_found_ttl: float,
        clock: Clock,
        now: Callable[[], datetime],
    ):
        self._store = store
        self._listed = listed
        self._ttl = ttl
        self._not_found_ttl = not_found_ttl
        self._clock = clock
        self._now = now

    def fresh(self, ref: str) -> Fresh | None:
        """The best copy of `ref` if it is younger than the TTL (no I/O)."""
        best = self.best(ref)
        if best is None or self._clock() - best.fetched_at >= self._ttl:
            return None
        return Fresh(best, "cache" if self._store.copy(ref) is best else "directory")

    def best(self, ref: str) -> Snapshot | None:
        """The newest copy of `ref`, however old, unless Pivotal said 404 since (no I/O)."""
        mine, listed = self._store.copy(ref), self._listed(ref)
        gone_at = self._store.gone_at(ref)
        if listed is not None and gone_at is not None and listed.fetched_at <= gone_at:
            listed = None
        if mine is None or (listed is not None and listed.fetched_at > mine.fetched_at):
            return listed
        return mine

    def missing(self, ref: str) -> bool:
        """True while a 404 for `ref` is younger than the not-found TTL (no I/O)."""
        since = self._store.missing_since(ref)
        return since is not None and self._clock() - since < self._not_found_ttl

    async def put(self, customer: Customer) -> Snapshot:
        """Keep `customer` as fetched now and return its snapshot."""
        snap = Snapshot(customer, self._clock(), self._now())
        await self._store.put(snap)
        return snap

    async def tombstone(self, ref: str) -> None:
        """Pivotal said 404 for `ref`: forget every copy of that customer and remember it."""
        keys = {ref}
        for copy in (self._store.copy(ref), self._listed(ref)):
            if copy is not None:
                keys.update(keys_of(copy.customer))
        await self._store.tombstone(ref, keys, self._clock())

    async def pull(self, ref: str) -> None:
        """Let the store bring in what a shared tier knows about `ref`."""
        await self._store.pull(ref)
