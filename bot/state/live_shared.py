"""The live-card registry in Redis, so every replica follows every card, once.

One hash per customer (`live:<display_id>`, a field per message, each entry's age checked
on read, at most 500 per customer) over this process's own posts in memory: a card shared
through one replica follows its customer when another replica hears of the change, also
after the first one restarted. Each card is redrawn once per change however many replicas
hear of it: a replica takes the message's lease (`live-lease:`, SET NX PX), skips the call
when `live-drawn:` says the message already shows that card. (The pace all replicas share
is bot/state/pacer.py's.) With Redis down each replica goes on with the cards it posted
itself.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict
from typing import Any

from bot.state.live import LOCAL, Drawn, MemoryLiveCards, Posted
from bot.state.redis import SharedRedis

MAX_PER_CUSTOMER = 500  # a customer's card shared or unfurled 500 times a week


class SharedLiveCards:
    """The registry in Redis (`live:<display_id>` hashes, `live-*` keys), over memory."""

    def __init__(
        self,
        redis: SharedRedis,
        local: MemoryLiveCards | None = None,
        *,
        per_customer: int = MAX_PER_CUSTOMER,
    ):
        self._redis = redis
        self._local = local if local is not None else MemoryLiveCards()
        self._keep = self._local.keep_seconds
        self._per_customer = per_customer

    def _cards_key(self, display_id: int) -> str:
        return self._redis.key("live", str(display_id))

    def _message_key(self, kind: str, posted: Posted) -> str:
        return self._redis.key(kind, hashlib.sha256(posted.key.encode()).hexdigest()[:32])

    async def add(self, display_id: int, posted: Posted) -> None:
        posted = self._local.stamped(posted)
        await self._local.add(display_id, posted)
        key, data = self._cards_key(display_id), json.dumps(posted.dump())

        async def op(r: Any) -> int:
            pipe = r.pipeline(transaction=True)
            pipe.hset(key, posted.key, data)
            pipe.pexpire(key, int(self._keep * 1000))
            pipe.hlen(key)
            return int((await pipe.execute())[-1])

        if await self._redis.run("live.add", op, 0) > self._per_customer:
            await self.cards(display_id)  # trims to the newest

    async def cards(self, display_id: int) -> list[Posted]:
        key = self._cards_key(display_id)

        async def read(r: Any) -> dict[bytes, bytes]:
            return dict(await r.hgetall(key))

        raw = await self._redis.run("live.cards", read, None)
        mine = await self._local.cards(display_id)
        if raw is None:
            return mine  # Redis down: the cards this process posted
        now, kept, stale = time.time(), {}, []
        for field, value in raw.items():
            posted = Posted.load(_json(value))
            if posted is None or now - posted.at > self._keep:
                stale.append(field)
            else:
                kept[posted.key] = posted
        newest = sorted(kept.values(), key=lambda p: p.at, reverse=True)
        stale += [p.key.encode() for p in newest[self._per_customer :]]
        if stale:

            async def trim(r: Any) -> int:
                return int(await r.hdel(key, *stale))

            await self._redis.run("live.trim", trim, 0)
        found = {p.key: p for p in newest[: self._per_customer]}
        for posted in mine:  # posted here while Redis was down, or not yet seen there
            found.setdefault(posted.key, posted)
        return list(found.values())

    async def drop(self, display_id: int, posted: Posted) -> None:
        await self._local.drop(display_id, posted)
        key, field, drawn = (
            self._cards_key(display_id),
            posted.key,
            self._message_key("live-drawn", posted),
        )

        async def op(r: Any) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            pipe.hdel(key, field)
            pipe.delete(drawn)
            return list(await pipe.execute())

        await self._redis.run("live.drop", op, [])

    async def lease(self, posted: Posted, seconds: float) -> str | None:
        token, key = secrets.token_hex(8), self._message_key("live-lease", posted)

        async def op(r: Any) -> bool:
            return bool(await r.set(key, token, nx=True, px=int(seconds * 1000)))

        taken: bool | None = await self._redis.run("live.lease", op, None)
        if taken is None:
            return LOCAL  # Redis down: this process decides for itself
        return token if taken else None

    async def release(self, posted: Posted, token: str) -> None:
        if token != LOCAL:
            await self._redis.unlock(self._message_key("live-lease", posted), token)

    async def drawn(self, posted: Posted) -> Drawn | None:
        raw = await self._redis.get_json(self._message_key("live-drawn", posted))
        shared = Drawn.load(raw)
        return shared if shared is not None else await self._local.drawn(posted)

    async def drew(self, posted: Posted, drawn: Drawn) -> None:
        await self._local.drew(posted, drawn)
        await self._redis.set_json(self._message_key("live-drawn", posted), asdict(drawn),
                                   self._keep)  # fmt: skip

    def __len__(self) -> int:
        return len(self._local)


def _json(value: object) -> object:
    try:
        return json.loads(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
