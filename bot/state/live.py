"""Where live cards are kept: what one is, the registry's contract, and its memory form.

A live card is a card the bot posted with Share, or a link it unfurled, in the last 7 days.
The registry keeps them per customer, and the turn-taking for redrawing them: a lease per
message, and what each message last showed (so a card is not sent again unchanged, nor
drawn over a newer one). `MemoryLiveCards` is one process's bounded registry;
`SharedLiveCards` (bot/state/live_shared.py) is the one in Redis. Pacing the calls is the
pacer's business (bot/state/pacer.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from cachetools import TTLCache

from bot.blocks.message import CardMode

KEEP_SECONDS = 7 * 86_400.0
MAX_CARDS = 20_000  # per process, in memory
LOCAL = "local"  # the lease token when this process alone decides


@dataclass(frozen=True)
class Posted:
    """One card in Slack: a shared message (`url` None) or the unfurl of `url`."""

    channel: str
    ts: str
    mode: CardMode  # the channel's when posted: full or minimal
    url: str | None = None
    shared_by: str | None = None  # who shared it: every redraw credits them again
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
        if mode not in {m.value for m in CardMode}:
            return None
        pairs = tuple((str(p[0]), str(p[1])) for p in target)
        return cls(channel, ts, CardMode(mode), url, shared_by, pairs, float(at))


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

    def __len__(self) -> int: ...


class MemoryLiveCards:
    """The registry in this process: at most `max_cards` cards, each kept 7 days."""

    def __init__(
        self,
        *,
        max_cards: int = MAX_CARDS,
        keep_seconds: float = KEEP_SECONDS,
        clock: Callable[[], float] = time.time,
    ):
        self.keep_seconds = keep_seconds
        self._clock = clock
        self._cards: TTLCache[str, tuple[int, Posted]] = TTLCache(
            max_cards, ttl=keep_seconds, timer=clock
        )
        # display_id -> its cards' keys; re-set on each add, so it outlives them.
        self._index: TTLCache[int, set[str]] = TTLCache(max_cards, ttl=keep_seconds, timer=clock)
        self._drawn: TTLCache[str, Drawn] = TTLCache(max_cards, ttl=keep_seconds, timer=clock)

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

    def __len__(self) -> int:
        return len(self._cards)
