"""Sliding-window rate limiter used by the sandbox Pivotal API (per API key)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateDecision", "SlidingWindowLimiter"]


@dataclass(frozen=True)
class RateDecision:
    """Outcome of one request against the limiter, ready to turn into headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: float  # seconds until the oldest counted request leaves the window
    retry_after: int  # whole seconds (>= 1) a rejected client should wait; 0 if allowed

    def headers(self, wall_now: float | None = None) -> dict[str, str]:
        """``X-RateLimit-*`` headers (plus ``Retry-After`` when rejected)."""
        now = time.time() if wall_now is None else wall_now
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(now + self.reset_after)),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class SlidingWindowLimiter:
    """At most ``limit`` requests per ``window`` seconds per key (a sliding log).

    Rejected requests are not counted, so a client that waits ``Retry-After`` gets through.
    ``clock`` is monotonic seconds; inject a fake for tests.
    """

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> RateDecision:
        """Count one request for ``key`` (if allowed) and report the limiter state."""
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        reset_after = max(hits[0] + self.window - now, 0.0) if hits else 0.0
        return RateDecision(
            allowed=allowed,
            limit=self.limit,
            remaining=max(self.limit - len(hits), 0),
            reset_after=reset_after,
            retry_after=0 if allowed else max(math.ceil(reset_after), 1),
        )

    def reset(self) -> None:
        """Forget every counted request."""
        self._hits.clear()
