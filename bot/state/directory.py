"""The customer list shared through Redis: one replica walks at a time, the others load it.

`refresh(directory)` is called by Directory.run each time it would walk:
- a list in Redis younger than the refresh interval is loaded (once per new list) and
  nothing is walked: a new replica whose Redis holds a recent list is ready at once;
- otherwise the replica that takes the walk lock (a lease, renewed while it walks)
  walks, publishes the list and releases the lock; the others poll until it appears;
- with Redis down a replica walks alone, as a single process would.
The list is JSON (zlib-compressed: 10,000 customers are a few MB of JSON), with a TTL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from bot.logs import event
from bot.lookup.directory import Directory, Snapshot
from bot.pivotal.models import Customer
from bot.state.redis import SharedRedis

log = logging.getLogger(__name__)

LEASE = 30.0
BULK_TIMEOUT = 2.0  # background reads and writes of the whole list
POLL_NOT_READY = 0.25
POLL_READY = 5.0


class RedisDirectoryShare:
    """DirectoryShare (bot/lookup/directory.py) over SharedRedis."""

    def __init__(
        self,
        redis: SharedRedis,
        *,
        lease: float = LEASE,
        wall: Callable[[], float] = time.time,
    ):
        self._redis = redis
        self._lease = lease
        self._wall = wall
        self.lock_key = redis.key("directory", "walk")
        self._meta_key = redis.key("directory", "meta")
        self._list_key = redis.key("directory", "list")

    async def refresh(self, directory: Directory) -> float:
        refresh = directory.refresh_seconds
        meta = await self._redis.get_json(self._meta_key)
        at = meta.get("at") if isinstance(meta, dict) else None
        if isinstance(at, int | float) and self._wall() - at < refresh:
            if (directory.loaded_at or 0.0) < at and not await self._load(directory, float(at)):
                return await self._walk(directory)
            return max(1.0, refresh - (self._wall() - at))
        token = await self._redis.lock(self.lock_key, self._lease)
        if token is None and self._redis.up:
            return POLL_READY if directory.ready else POLL_NOT_READY  # another replica walks
        return await self._walk(directory, token)

    async def walking_elsewhere(self) -> bool | None:
        """Is some replica walking now? None when Redis cannot say."""
        return await self._redis.holder(self.lock_key)

    async def _walk(self, directory: Directory, token: str | None = None) -> float:
        renew = asyncio.create_task(self._renew(token)) if token else None
        try:
            await directory.walk()
            if token:
                await self._publish(directory)
        finally:
            if renew:
                renew.cancel()
            if token:
                await self._redis.unlock(self.lock_key, token)
        return directory.refresh_seconds

    async def _renew(self, token: str | None) -> None:
        while token:
            await asyncio.sleep(self._lease / 3)
            await self._redis.extend(self.lock_key, token, self._lease)

    async def _publish(self, directory: Directory) -> None:
        at = directory.loaded_at or self._wall()
        rows = [[s.fetched_at, s.customer.model_dump(mode="json")] for s in directory.snapshots()]
        blob = zlib.compress(json.dumps({"at": at, "rows": rows}).encode(), 1)
        ttl = max(directory.refresh_seconds * 3, 3600.0)
        if await self._redis.set_bytes(self._list_key, blob, ttl, timeout=BULK_TIMEOUT):
            await self._redis.set_json(self._meta_key, {"at": at, "count": len(rows)}, ttl)

    async def _load(self, directory: Directory, at: float) -> bool:
        blob = await self._redis.get_bytes(self._list_key, timeout=BULK_TIMEOUT)
        snapshots = _decode(blob) if blob else None
        if snapshots is None:
            return False
        await directory.install(snapshots, loaded_at=at)
        event(log, "directory.loaded", source="redis", customers=len(directory),
              age_seconds=self._wall() - at)  # fmt: skip
        return True


def _decode(blob: bytes) -> list[Snapshot] | None:
    try:
        data: Any = json.loads(zlib.decompress(blob))
        return [
            Snapshot(Customer.model_validate(row), float(at), datetime.fromtimestamp(at, UTC))
            for at, row in data["rows"]
        ]
    except (zlib.error, ValueError, KeyError, TypeError, ValidationError):
        return None  # unreadable or from another version: walk instead
