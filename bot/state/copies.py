"""The freshness store in Redis: last good copies, tombstones and 404 memory for all replicas.

A CopyStore (bot/lookup/copies.py) over a local mirror: the synchronous reads answer from
the mirror (no I/O before an ack), `put` and `tombstone` write the mirror and Redis, and
`pull` brings what another replica stored into the mirror. With Redis down every method
still works on the mirror alone, so lookups go on per process.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from pydantic import ValidationError

from bot.lookup.copies import MemoryCopyStore, dump_snapshot, keys_of, load_snapshot
from bot.lookup.directory import Snapshot
from bot.state.redis import SharedRedis

COPY_TTL = 86_400.0  # last good copies stand in for a failing Pivotal for up to a day
MISSING_TTL = 600.0  # longer than any not-found TTL the lookup uses


class RedisCopyStore:
    """CopyStore shared through Redis, mirrored in this process (a MemoryCopyStore)."""

    def __init__(self, redis: SharedRedis, *, max_entries: int = 20_000, max_missing: int = 1024):
        self._redis = redis
        self._local = MemoryCopyStore(max_entries=max_entries, max_missing=max_missing)

    def _key(self, kind: str, key: str) -> str:
        return self._redis.key(kind, key)

    def copy(self, key: str) -> Snapshot | None:
        return self._local.copy(key)

    def gone_at(self, key: str) -> float | None:
        return self._local.gone_at(key)

    def missing_since(self, key: str) -> float | None:
        return self._local.missing_since(key)

    async def put(self, snap: Snapshot) -> None:
        self._local.keep(snap)
        data = dump_snapshot(snap)
        keys = keys_of(snap.customer)

        async def op(r: Any) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            for key in keys:
                pipe.set(self._key("copy", key), _json(data), px=int(COPY_TTL * 1000))
                pipe.delete(self._key("gone", key), self._key("missing", key))
            return list(await pipe.execute())

        await self._redis.run("copies.put", op, [])

    async def tombstone(self, asked: str, keys: Collection[str], at: float) -> None:
        self._local.forget(asked, keys, at)

        async def op(r: Any) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            pipe.set(self._key("missing", asked), _json(at), px=int(MISSING_TTL * 1000))
            for key in keys:
                pipe.delete(self._key("copy", key))
                pipe.set(self._key("gone", key), _json(at), px=int(COPY_TTL * 1000))
            return list(await pipe.execute())

        await self._redis.run("copies.tombstone", op, [])

    async def pull(self, key: str) -> None:
        kinds = ("copy", "gone", "missing")
        copy, gone, missing = await self._redis.get_many_json([self._key(k, key) for k in kinds])
        self._local.learn(
            key,
            gone_at=float(gone) if isinstance(gone, int | float) else None,
            missing_since=float(missing) if isinstance(missing, int | float) else None,
        )
        if isinstance(copy, dict):
            try:
                snap = load_snapshot(copy)
            except (ValidationError, ValueError, KeyError, TypeError):
                return  # written by another version: as good as missing
            gone_at = self._local.gone_at(key)
            if gone_at is None or snap.fetched_at > gone_at:
                self._local.keep(snap)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
