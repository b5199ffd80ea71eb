"""Rate-limit headers, parsed in one place, and the one clamp on how long to wait.

``X-RateLimit-Limit`` / ``-Remaining`` are counts, ``X-RateLimit-Reset`` is epoch
seconds, ``Retry-After`` is seconds (an HTTP date is not a wait we trust). Values that are
not finite numbers are treated as absent; every wait goes through ``clamp_wait``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

MIN_WAIT = 0.5  # a 429 always holds requests off a little, even with Retry-After: 0
MAX_WAIT = 3600.0  # past an hour something else is wrong
DEFAULT_WAIT = 1.0  # a 429 that says nothing usable


def clamp_wait(seconds: float | None) -> float:
    """A wait that is a finite number within [MIN_WAIT, MAX_WAIT]; DEFAULT_WAIT if unknown."""
    if seconds is None or math.isnan(seconds):
        return DEFAULT_WAIT
    return min(max(seconds, MIN_WAIT), MAX_WAIT)


@dataclass(frozen=True, slots=True)
class RateHeaders:
    """What one response said about the key's window."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds
    retry_after: float | None = None  # seconds, as sent

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateHeaders:
        return cls(
            _int(headers.get("x-ratelimit-limit")),
            _int(headers.get("x-ratelimit-remaining")),
            _float(headers.get("x-ratelimit-reset")),
            _float(headers.get("retry-after")),
        )

    def reset_in(self, wall: float) -> float | None:
        """Seconds from `wall` (epoch seconds) until the window resets, if it said."""
        return None if self.reset_at is None else max(0.0, self.reset_at - wall)

    def wait(self, wall: float) -> float:
        """How long a 429 with these headers says to wait: Retry-After, else the reset."""
        if self.retry_after is not None:
            return clamp_wait(self.retry_after)
        return clamp_wait(self.reset_in(wall) or None)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    """A finite number from a header, else None ("inf" and "nan" are not waits)."""
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    if number is None or not math.isfinite(number):
        return None
    return number
