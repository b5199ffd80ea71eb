"""Turns to call Slack: one per channel per gap inside one app-wide gap, in memory or Redis.

The store speaks plain numbers (seconds); what a gap should be and what Slack's answers
mean is the transport's business (bot/slack/webapi.py). ``slot`` takes a turn when both the
app's and the channel's are free; ``hold`` keeps every turn (or one channel's) back after a
``ratelimited`` answer, and never shortens a longer hold already set, here or by another
replica. ``SharedPacer`` keeps the turns in Redis (`slack-pace:*` keys, each living only as
long as its gap or hold) so replicas share Slack's per-app limits; with Redis down each
replica paces itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from bot.state.redis import SharedRedis

MAX_CHANNELS = 10_000  # channels whose turn or hold memory keeps at once


class SlackPacer(Protocol):
    """Turns to call Slack, app-wide and per channel."""

    async def slot(self, channel: str, gap: float, channel_gap: float) -> float:
        """0 when a call to `channel` may go now (the app's next waits `gap`, the channel's
        `channel_gap`), else the seconds to wait first."""
        ...

    async def hold(self, seconds: float, channel: str | None = None) -> None:
        """No call to `channel` (to any channel when None) for `seconds`; longer holds stay."""
        ...


class MemoryPacer:
    """This process's turns: the next time the app, and each channel, may be called."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic):
        self._monotonic = monotonic
        self._app = 0.0
        self._channels: dict[str, float] = {}

    async def slot(self, channel: str, gap: float, channel_gap: float) -> float:
        now = self._monotonic()
        wait = max(self._app, self._channels.get(channel, 0.0)) - now
        if wait > 0:
            return wait
        self._app = now + gap
        if channel and channel_gap > 0:
            self._keep(channel, now + channel_gap, now)
        return 0.0

    async def hold(self, seconds: float, channel: str | None = None) -> None:
        now = self._monotonic()
        until = now + seconds
        if channel is None:
            self._app = max(self._app, until)
        else:
            self._keep(channel, max(self._channels.get(channel, 0.0), until), now)

    def _keep(self, channel: str, until: float, now: float) -> None:
        self._channels[channel] = until
        if len(self._channels) > MAX_CHANNELS:  # forget turns already past
            self._channels = {c: t for c, t in self._channels.items() if t > now}


# Take the app's and the channel's turn when both are free; else the longest wait (ms).
_SLOT = """
local wait = math.max(redis.call('pttl', KEYS[1]), redis.call('pttl', KEYS[2]))
if wait > 0 then return wait end
if tonumber(ARGV[1]) > 0 then redis.call('set', KEYS[1], '1', 'PX', ARGV[1]) end
if tonumber(ARGV[2]) > 0 then redis.call('set', KEYS[2], '1', 'PX', ARGV[2]) end
return 0
"""
# Hold for ARGV[1] ms unless a longer hold (or turn) is already set.
_HOLD = """
if redis.call('pttl', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('set', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
"""


class SharedPacer:
    """The turns in Redis, so every replica keeps one pace; memory when Redis is down."""

    def __init__(self, redis: SharedRedis, local: MemoryPacer | None = None):
        self._redis = redis
        self._local = local if local is not None else MemoryPacer()

    def _key(self, channel: str | None) -> str:
        if channel is None:
            return self._redis.key("slack-pace", "app")
        return self._redis.key("slack-pace", "channel", channel)

    async def slot(self, channel: str, gap: float, channel_gap: float) -> float:
        keys = (self._key(None), self._key(channel))
        app_ms, channel_ms = _ms(gap), _ms(channel_gap) if channel else 0

        async def op(r: Any) -> float:
            return int(await r.eval(_SLOT, 2, *keys, app_ms, channel_ms)) / 1000

        wait: float | None = await self._redis.run("pace.slot", op, None)
        return await self._local.slot(channel, gap, channel_gap) if wait is None else wait

    async def hold(self, seconds: float, channel: str | None = None) -> None:
        await self._local.hold(seconds, channel)
        key, ms = self._key(channel), max(1, _ms(seconds))

        async def op(r: Any) -> int:
            return int(await r.eval(_HOLD, 1, key, ms))

        await self._redis.run("pace.hold", op, 0)


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000))
