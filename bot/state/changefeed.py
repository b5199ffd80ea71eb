"""Customer changes shared between replicas through a Redis stream.

The replica that receives a webhook applies it and appends the result (the customer copy
and its signals) to one capped stream; every replica reads the stream a few times a
second (plain XREAD, no blocking call, so the guarded client's time bound holds) and
applies what others wrote. Redis down: each replica keeps what it received itself, and
the reconcile walk and TTLs catch up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from bot.logs import event
from bot.lookup.changed import CustomerChanged
from bot.state.redis import SharedRedis

log = logging.getLogger(__name__)

MAX_LEN = 10_000  # about a nightly recompute's worth of changes


class RedisChangeFeed:
    """Publish this replica's applied changes; tail the others'."""

    def __init__(
        self,
        redis: SharedRedis,
        *,
        poll_seconds: float = 0.2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self._redis = redis
        self._key = redis.key("customer-changes")
        self.origin = secrets.token_hex(8)
        self._poll = poll_seconds
        self._sleep = sleep
        self.received = 0
        self._last: str | None = None

    @property
    def tailing(self) -> bool:
        """True once `tail` knows where the stream stands (changes from then on arrive)."""
        return self._last not in (None, "$")

    async def publish(self, change: dict[str, Any]) -> bool:
        """Append `change` for the other replicas; False when Redis did not take it."""
        data = json.dumps({"origin": self.origin, **change})

        async def op(r: Redis) -> bool:
            await r.xadd(self._key, {"change": data}, maxlen=MAX_LEN, approximate=True)
            return True

        return await self._redis.run("changes.publish", op, False)

    async def share(self, change: CustomerChanged) -> None:
        """Pass a change applied here on to the others (a `once` subscriber of Changes)."""
        if change.cause not in ("webhook", "refetch"):
            return  # each replica walks (or loads the walked list) for itself
        after, told = change.after, change.signals_after
        await self.publish(
            {
                "display_id": change.display_id,
                "customer": after.model_dump(mode="json") if after else None,
                "signals": told.model_dump(mode="json", exclude_none=True) if told else None,
            }
        )

    async def tail(self, apply: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Apply every change other replicas publish from now on (runs until cancelled)."""
        self._last = await self._latest()
        while True:
            batch = await self._read()
            for entry_id, change in batch:
                self._last = entry_id
                if change.get("origin") != self.origin:
                    self.received += 1
                    await apply(change)
            if not batch:
                await self._sleep(self._poll)

    async def _latest(self) -> str:
        async def op(r: Redis) -> str:
            newest = await r.xrevrange(self._key, count=1)
            return _text(newest[0][0]) if newest else "0-0"

        return await self._redis.run("changes.latest", op, "$")

    async def _read(self) -> list[tuple[str, dict[str, Any]]]:
        if self._last in (None, "$"):  # Redis was down at start: begin from what comes next
            self._last = await self._latest()
            if self._last == "$":
                return []
        after = self._last

        async def op(r: Redis) -> list[tuple[str, dict[str, Any]]]:
            found = await r.xread({self._key: after}, count=200)
            return [(_text(i), _change(f)) for _, entries in found for i, f in entries]

        return await self._redis.run("changes.read", op, [])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _change(fields: dict[Any, Any]) -> dict[str, Any]:
    raw = fields.get(b"change", fields.get("change", b"{}"))
    try:
        change = json.loads(raw)
    except ValueError:
        event(log, "redis.changes.unreadable", logging.WARNING)
        return {}
    return change if isinstance(change, dict) else {}
