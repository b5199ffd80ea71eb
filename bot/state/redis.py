"""The one module that talks to Redis: a guarded client with a circuit breaker.

Every call goes through `SharedRedis.run(what, op, fallback)`: it returns the op's result,
or `fallback` when Redis is down, slow (past `op_timeout`, 150 ms by default) or the
breaker is open. A request therefore never waits on Redis much longer than one timeout:
the first failure opens the breaker, and later calls fall back at once until a single
probe finds Redis again (after 1 s, doubling to 10 s while it stays down). One warning is
logged when an outage starts (`redis.down`) and one line when it ends (`redis.up`).

Stores built on this keep their own in-memory state as the fallback, so a Redis outage
degrades the bot to per-process behaviour and it resumes sharing by itself.

Keys: everything sits under one versioned prefix (`pivotal-bot:v1:` + `key(...)` parts),
values are JSON (never pickle), and every key this module writes has a TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import ConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from bot.logs import event

log = logging.getLogger(__name__)

T = TypeVar("T")
PREFIX = "pivotal-bot:v1:"
OP_TIMEOUT = 0.15
_FAILURES = (RedisError, OSError, TimeoutError)

# Delete / extend a lock only while it is still ours (compare-and-act, atomically).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


def connect(url: str, *, op_timeout: float = OP_TIMEOUT) -> Redis:
    """A redis-py asyncio client with our timeouts and no retries of its own."""
    pool = ConnectionPool.from_url(
        url,
        socket_timeout=op_timeout,
        socket_connect_timeout=op_timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
        max_connections=64,
    )
    return Redis(connection_pool=pool)


class SharedRedis:
    """Redis behind a circuit breaker; every call has a fallback and a time bound."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = PREFIX,
        op_timeout: float = OP_TIMEOUT,
        cooldown: float = 1.0,
        max_cooldown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.client = client
        self.prefix = prefix
        self._op_timeout = op_timeout
        self._base_cooldown = cooldown
        self._max_cooldown = max_cooldown
        self._cooldown = cooldown
        self._clock = clock
        self._open_until = 0.0
        self._down_since: float | None = None
        self._probing = False
        self.fallbacks = 0  # calls answered by the fallback since start
        self.outages = 0

    @classmethod
    def from_url(cls, url: str, *, op_timeout: float = OP_TIMEOUT, **kwargs: Any) -> SharedRedis:
        return cls(connect(url, op_timeout=op_timeout), op_timeout=op_timeout, **kwargs)

    @property
    def up(self) -> bool:
        """False from the first failure of an outage until a call succeeds again."""
        return self._down_since is None

    @property
    def connection_pool(self) -> ConnectionPool:
        """For libraries that take a redis-py pool (the rate budget's moving window)."""
        return self.client.connection_pool

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def run(
        self,
        what: str,
        op: Callable[[Redis], Awaitable[T]],
        fallback: T,
        *,
        timeout: float | None = None,
    ) -> T:
        """`op(client)`, or `fallback` if Redis fails, is slow or the breaker is open.

        `timeout` overrides the per-call bound for background work that moves more data
        (the directory's list); no request path passes it.
        """
        if not self._may_call():
            self.fallbacks += 1
            return fallback
        probe = not self.up
        self._probing = probe
        try:
            async with asyncio.timeout(timeout or self._op_timeout):
                result = await op(self.client)
        except _FAILURES as exc:
            self._failed(what, exc)
            self.fallbacks += 1
            return fallback
        finally:
            if probe:
                self._probing = False
        self._succeeded()
        return result

    def _may_call(self) -> bool:
        if self.up:
            return True
        return not self._probing and self._clock() >= self._open_until

    def _failed(self, what: str, exc: BaseException) -> None:
        now = self._clock()
        if self._down_since is None:
            self._down_since = now
            self.outages += 1
            self._cooldown = self._base_cooldown
            event(log, "redis.down", logging.WARNING, op=what, error=type(exc).__name__,
                  fallback="in-process state", retry_in=self._cooldown)  # fmt: skip
        else:
            self._cooldown = min(self._cooldown * 2, self._max_cooldown)
        self._open_until = now + self._cooldown

    def _succeeded(self) -> None:
        if self._down_since is not None:
            event(log, "redis.up", seconds_down=round(self._clock() - self._down_since, 2))
            self._down_since = None
            self._cooldown = self._base_cooldown

    async def get_json(self, key: str) -> Any:
        """The JSON value at `key`, or None when missing, unreadable or Redis is down."""
        raw = await self.run("get", lambda r: r.get(key), None)
        return _loads(raw)

    async def get_many_json(self, keys: list[str]) -> list[Any]:
        """Values for `keys` in one round trip (None where missing or Redis is down)."""
        if not keys:
            return []
        raw = await self.run("mget", lambda r: r.mget(keys), None)
        return [_loads(item) for item in raw] if raw else [None] * len(keys)

    async def set_json(self, key: str, value: Any, ttl: float) -> bool:
        """Store `value` as JSON for `ttl` seconds; False if Redis did not take it."""
        data = json.dumps(value, separators=(",", ":"))
        return bool(await self.run("set", lambda r: r.set(key, data, px=_ms(ttl)), False))

    async def get_bytes(self, key: str, *, timeout: float) -> bytes | None:
        """Raw bytes at `key` (a large background read), or None."""

        async def op(r: Redis) -> bytes | None:
            value = await r.get(key)
            return value if isinstance(value, bytes) else None

        return await self.run("get", op, None, timeout=timeout)

    async def set_bytes(self, key: str, value: bytes, ttl: float, *, timeout: float) -> bool:
        """Store raw bytes for `ttl` seconds (a large background write)."""

        async def op(r: Redis) -> bool:
            return bool(await r.set(key, value, px=_ms(ttl)))

        return await self.run("set", op, False, timeout=timeout)

    async def claim(self, key: str, ttl: float) -> bool | None:
        """SET NX: True if this call created `key`, False if it existed, None if unknown."""

        async def op(r: Redis) -> bool:
            return bool(await r.set(key, b"1", nx=True, px=_ms(ttl)))

        return await self.run("claim", op, None)

    async def delete(self, key: str) -> None:
        await self.run("delete", lambda r: r.delete(key), 0)

    async def lock(self, key: str, lease: float) -> str | None:
        """Take the lock `key` for `lease` seconds; its token, or None if held or down."""
        token = secrets.token_hex(8)

        async def op(r: Redis) -> bool:
            return bool(await r.set(key, token, nx=True, px=_ms(lease)))

        return token if await self.run("lock", op, False) else None

    async def extend(self, key: str, token: str, lease: float) -> bool:
        """Renew a lock we hold; False if it was lost (expired and taken) or Redis is down."""

        async def op(r: Redis) -> bool:
            return bool(await r.eval(_EXTEND, 1, key, token, _ms(lease)))  # type: ignore[misc]

        return await self.run("extend", op, False)

    async def unlock(self, key: str, token: str) -> None:
        async def op(r: Redis) -> int:
            return int(await r.eval(_RELEASE, 1, key, token))  # type: ignore[misc]

        await self.run("unlock", op, 0)

    async def holder(self, key: str) -> bool | None:
        """Is the lock `key` held by anyone? None when Redis cannot say."""

        async def op(r: Redis) -> bool:
            return bool(await r.exists(key))

        return await self.run("exists", op, None)

    async def ping(self) -> float | None:
        """Round-trip seconds of PING, or None when Redis does not answer."""
        started = time.perf_counter()

        async def op(r: Redis) -> float:
            await r.ping()  # type: ignore[misc]
            return time.perf_counter() - started

        return await self.run("ping", op, None)

    async def aclose(self) -> None:
        with contextlib.suppress(*_FAILURES):
            await self.client.aclose()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _loads(raw: object) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)  # type: ignore[arg-type]
    except ValueError:
        return None  # not ours or from a different version: as good as missing
