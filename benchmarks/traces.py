"""Request traces: Zipf-popular customers, Poisson arrivals, and a trace's lower bound."""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate


def zipf_ids(ids: Sequence[int], n: int, *, s: float = 1.0, seed: int = 7) -> list[int]:
    """`n` draws from `ids` where the k-th most popular has weight 1/k**s (ranks shuffled)."""
    rng = random.Random(seed)
    ranked = list(ids)
    rng.shuffle(ranked)
    cumulative = list(accumulate(1 / (k**s) for k in range(1, len(ranked) + 1)))
    total = cumulative[-1]
    return [ranked[bisect_left(cumulative, rng.random() * total)] for _ in range(n)]


def poisson_offsets(n: int, span: float, *, seed: int = 11) -> list[float]:
    """`n` arrival times with exponential gaps, scaled to end at `span` seconds."""
    rng = random.Random(seed)
    times = list(accumulate(rng.expovariate(1.0) for _ in range(n)))
    scale = span / times[-1] if times and times[-1] > 0 else 0.0
    return [t * scale for t in times]


def lower_bound(events: Sequence[tuple[float, int]], lifetime: float) -> int:
    """Fewest fetches any cache whose copies live `lifetime` s can make for (time, id) events.

    Per customer, greedily start a copy at the first request not covered by the last one:
    covering points with fixed-length intervals this way is optimal, so this is the number
    of distinct customers per cache lifetime in the trace.
    """
    expires: dict[int, float] = {}
    fetches = 0
    for at, key in sorted(events):
        if at >= expires.get(key, float("-inf")):
            fetches += 1
            expires[key] = at + lifetime
    return fetches
