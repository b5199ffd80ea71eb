"""Where live cards are kept, and how replicas take turns redrawing them.

A live card is a card the bot posted with Share, or a link it unfurled, in the last 7 days.
The registry keeps them per customer. `MemoryLiveCards` is one process's bounded registry;
`SharedLiveCards` keeps it in Redis (one hash per customer, a field per message, each
entry's age checked on read) over this process's own posts in memory, so a card shared
through one replica follows its customer when another replica hears of the change, also
after the first one restarted.

Redrawing is coordinated so that each card is updated once per change however many
replicas hear of it: a replica takes the message's lease (SET NX PX), skips the call when
the message already shows what it would draw (the digest and version last drawn), and
waits for a slot of one pacer shared by every replica (Slack's Tier 3 counts per app, not
per process). A `ratelimited` answer holds that pacer back for all of them. With Redis
down, each replica goes on with the cards it posted itself and paces itself.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from cachetools import TTLCache

from bot.state.redis import SharedRedis

KEEP_SECONDS = 7 * 86_400.0
MAX_CARDS = 20_000  # per process, in memory
MAX_PER_CUSTOMER = 500  # in Redis: a customer's card shared or unfurled 500 times a week
LOCAL = "local"  # the lease token when this process alone decides


@dataclass(frozen=True)
class Posted:
    """One card in Slack: a shared message (`url` None) or the unfurl of `url`."""

    channel: str
    ts: str
    mode: str  # the channel's CardMode when posted: "full" or "minimal"
    url: str | None = None
    shared_by: str | None = None
    target: tuple[tuple[str, str], ...] = ()  # chat.unfurl's unfurl_id/source, if given
    at: float = 0.0  # epoch seconds it was posted (set when registered)

    @property
    def key(self) -> str:
        return json.dumps([self.channel, self.ts, self.url or ""], separators=(",", ":"))

    def dump(self) -> dict[str, Any]:
        return {**asdict(self), "target": [list(pair) for pair in self.target]}

    @classmethod
    def load(cls, raw: object) -> Posted | None:
        """The entry from its JSON, or None when it is not one (another version wrote it)."""
        if not isinstance(raw, dict):
            return None
        strings = [raw.get(k) for k in ("channel", "ts", "mode")]
        url, shared_by, at = raw.get("url"), raw.get("shared_by"), raw.get("at")
        target = raw.get("target") or []
        if not all(isinstance(s, str) and s for s in strings) or not isinstance(at, int | float):
            return None
        if not all(isinstance(x, str | None) for x in (url, shared_by)):
            return None
        if not isinstance(target, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in target
        ):
            return None
        channel, ts, mode = (str(s) for s in strings)
        pairs = tuple((str(p[0]), str(p[1])) for p in target)
        return cls(channel, ts, mode, url, shared_by, pairs, float(at))


@dataclass(frozen=True)
class Drawn:
    """What a message was last drawn with: the card's digest and the customer's version."""

    digest: str
    version: float  # the customer's updated_at, epoch seconds

    def covers(self, other: Drawn) -> bool:
        """True when drawing `other` would change nothing, or would go back in time."""
        return self.digest == other.digest or other.version < self.version

    @classmethod
    def load(cls, raw: object) -> Drawn | None:
        if isinstance(raw, dict):
            digest, version = raw.get("digest"), raw.get("version")
            if isinstance(digest, str) and isinstance(version, int | float):
                return cls(digest, float(version))
        return None


def digest_of(text: str, blocks: list[dict[str, Any]]) -> str:
    data = json.dumps([text, blocks], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:32]


class LiveRegistry(Protocol):
    """Posted cards per customer, and the turn-taking for redrawing them."""

    async def add(self, display_id: int, posted: Posted) -> None: ...

    async def cards(self, display_id: int) -> list[Posted]: ...

    async def drop(self, display_id: int, posted: Posted) -> None: ...

    async def lease(self, posted: Posted, seconds: float) -> str | None:
        """A token while this process may redraw `posted`; None while another one does."""
        ...

    async def release(self, posted: Posted, token: str) -> None: ...

    async def drawn(self, posted: Posted) -> Drawn | None: ...

    async def drew(self, posted: Posted, drawn: Drawn) -> None: ...

    async def slot(self, gap: float) -> float:
        """0 when a Slack call may go now (and the next waits `gap`), else seconds to wait."""
        ...

    async def hold_off(self, seconds: float) -> None:
        """Slack said `ratelimited`: no call for `seconds`."""
        ...

    def __len__(self) -> int: ...


class MemoryLiveCards:
    """The registry in this process: at most `max_cards` cards, each kept 7 days."""

    def __init__(
        self,
        *,
        max_cards: int = MAX_CARDS,
        keep_seconds: float = KEEP_SECONDS,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.keep_seconds = keep_seconds
        self._clock, self._monotonic = clock, monotonic
        self._cards: TTLCache[str, tuple[int, Posted]] = TTLCache(
            max_cards, ttl=keep_seconds, timer=clock
        )
        # display_id -> its cards' keys; re-set on each add, so it outlives them.
        self._index: TTLCache[int, set[str]] = TTLCache(max_cards, ttl=keep_seconds, timer=clock)
        self._drawn: TTLCache[str, Drawn] = TTLCache(max_cards, ttl=keep_seconds, timer=clock)
        self._next_call = 0.0

    def stamped(self, posted: Posted) -> Posted:
        return posted if posted.at else replace(posted, at=self._clock())

    async def add(self, display_id: int, posted: Posted) -> None:
        posted = self.stamped(posted)
        self._cards[posted.key] = (display_id, posted)
        keys = self._index.get(display_id) or set()
        keys.add(posted.key)
        self._index[display_id] = keys  # re-set: its age counts from the latest card

    async def cards(self, display_id: int) -> list[Posted]:
        keys = self._index.get(display_id)
        if not keys:
            return []
        found = []
        for key in list(keys):
            entry = self._cards.get(key)
            if entry is None or entry[0] != display_id:
                keys.discard(key)  # expired or evicted
            else:
                found.append(entry[1])
        return found

    async def drop(self, display_id: int, posted: Posted) -> None:
        self._cards.pop(posted.key, None)
        self._drawn.pop(posted.key, None)
        (self._index.get(display_id) or set()).discard(posted.key)

    async def lease(self, posted: Posted, seconds: float) -> str | None:
        return LOCAL  # one loop per process redraws one card at a time

    async def release(self, posted: Posted, token: str) -> None:
        return None

    async def drawn(self, posted: Posted) -> Drawn | None:
        return self._drawn.get(posted.key)

    async def drew(self, posted: Posted, drawn: Drawn) -> None:
        self._drawn[posted.key] = drawn

    async def slot(self, gap: float) -> float:
        now = self._monotonic()
        if now < self._next_call:
            return self._next_call - now
        self._next_call = now + gap
        return 0.0

    async def hold_off(self, seconds: float) -> None:
        self._next_call = max(self._next_call, self._monotonic() + seconds)

    def __len__(self) -> int:
        return len(self._cards)


# Take the pacer's slot when free; else say how long it stays taken (milliseconds).
_SLOT = """
if redis.call('set', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
local left = redis.call('pttl', KEYS[1])
if left < 1 then return 1 end
return left
"""


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
        self._pace = redis.key("live-pace")

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

    async def slot(self, gap: float) -> float:
        key, ms = self._pace, max(1, int(gap * 1000))

        async def op(r: Any) -> float:
            return int(await r.eval(_SLOT, 1, key, ms)) / 1000

        wait: float | None = await self._redis.run("live.slot", op, None)
        return await self._local.slot(gap) if wait is None else wait

    async def hold_off(self, seconds: float) -> None:
        await self._local.hold_off(seconds)
        key, ms = self._pace, max(1, int(seconds * 1000))
        await self._redis.run("live.hold_off", lambda r: r.set(key, "1", px=ms), None)

    def __len__(self) -> int:
        return len(self._local)


def _json(value: object) -> object:
    try:
        return json.loads(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
