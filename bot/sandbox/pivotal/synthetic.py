"""One synthetic customer for ``generate_customers``: vocabulary, weighted draws, unique values.

Every draw comes from the run's seeded ``random.Random`` in a fixed order, so a seed always
gives the same customers (reordering the draws changes the data).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any, TypeVar

from bot.sandbox.pivotal.formats import (
    SLACK_ID_ALPHABET,
    STRIPE_ALPHABET,
    b36,
    epoch_ms,
    format_ms,
    slugify,
)

__all__ = ["BASE_MS", "SPAN_MS", "synthetic_customer"]

_T = TypeVar("_T")
_WORDS_A_TEXT = (
    "Acme Alpine Apex Arbor Atlas Aurora Beacon Birch Blue Bright Cedar Cobalt Copper Coral "
    "Crescent Crimson Delta Eagle Echo Ember Evergreen Falcon Fern Forge Golden Granite Harbor "
    "Hazel Horizon Indigo Iron Jade Juniper Keystone Lantern Lumen Maple Meridian Mesa Nimbus "
    "Noble North Oak Onyx Orbit Pacific Pine Pioneer Prairie Quartz Raven Redwood Ridge River "
    "Sable Sage Silver Solar Spruce Stone Summit Sun Terra Tidal Timber Vista Vector Velvet "
    "Willow Zenith"
)
_WORDS_B_TEXT = (
    "Analytics Apparel Bakery Bank Bio Brands Brewing Capital Cloud Coffee Commerce Dynamics "
    "Energy Foods Freight Goods Health Home Labs Logistics Markets Media Mobility Motors "
    "Networks Outfitters Partners Pet Pharma Robotics Solutions Supply Systems Tech Travel Ventures"
)
_WORDS_A = tuple(_WORDS_A_TEXT.split())
_WORDS_B = tuple(_WORDS_B_TEXT.split())
_SUFFIXES = ("", "", "", " Inc.", " LLC", " Co.", " Group", " GmbH", " Ltd")
_TLDS = ("com", "com", "com", "io", "co", "app", "net", "de", "co.uk")
_STATUSES = (
    ("active", 60),
    ("at_risk", 10),
    ("onboarding", 10),
    ("churned", 10),
    ("archived", 5),
    ("paused", 3),
    ("trialing", 2),
)
_PLANS = (("starter", 35), ("growth", 35), ("enterprise", 15), ("Scale (annual)", 5), (None, 10))
SPAN_MS = 5 * 365 * 86_400_000
BASE_MS = epoch_ms(datetime(2021, 5, 1, tzinfo=UTC))
_END_MS = BASE_MS + SPAN_MS


def _picker(table: tuple[tuple[_T, int], ...]) -> Callable[[float], _T]:
    """Weighted choice driven by one ``rng.random()`` draw (much faster than ``choices``)."""
    values = [v for v, _ in table]
    cum = list(accumulate(w for _, w in table))
    total = cum[-1]
    return lambda u: values[bisect_right(cum, u * total)]


_pick_status = _picker(_STATUSES)
_pick_plan = _picker(_PLANS)
# bytes.translate tables: random bytes -> alphabet characters (fast; the slight bias is fine)
_STRIPE_TABLE = bytes(ord(STRIPE_ALPHABET[i % 62]) for i in range(256))
_CHANNEL_TABLE = bytes(ord(SLACK_ID_ALPHABET[i % 36]) for i in range(256))


def synthetic_customer(
    rng: random.Random,
    did: int,
    created_ms: int,
    fingerprint: str,
    *,
    slugs: set[str],
    channels: set[str],
) -> dict[str, Any]:
    """Customer ``did`` created at ``created_ms``; ``slugs``/``channels`` are those taken."""
    rand = rng.random
    stem, name = _name(rand)
    slug = _unique_slug(name, did, slugs)
    status = _pick_status(rand())
    mrr = _mrr(rand, status)
    channel = _channel(rng, channels)
    bits = rng.getrandbits(128)
    return {
        "object": "customer",
        "id": "c" + b36(created_ms, 8) + b36(did, 4) + fingerprint + f"{bits:032x}"[:8],
        "display_id": did,
        "name": name,
        "slug": None if rand() < 0.01 else slug,
        "domain": _domain(rand, stem),
        "status": status,
        "plan": _pick_plan(rand()),
        "mrr": mrr,
        "monthly_orders": _monthly_orders(rand),
        **_integration_ids(rng, bits),
        "slack_channel_id": channel,
        "created_at": format_ms(created_ms),
        "updated_at": format_ms(min(created_ms + int(rand() * 180 * 86_400_000), _END_MS)),
    }


def _name(rand: Callable[[], float]) -> tuple[str, str]:
    """Two words (the stem, also the domain's) and sometimes a legal suffix."""
    stem = f"{_WORDS_A[int(rand() * len(_WORDS_A))]} {_WORDS_B[int(rand() * len(_WORDS_B))]}"
    return stem, stem + _SUFFIXES[int(rand() * len(_SUFFIXES))]


def _unique_slug(name: str, did: int, slugs: set[str]) -> str:
    slug = slugify(name)
    if slug in slugs:
        slug = f"{slug}-{did}"
    slugs.add(slug)
    return slug


def _mrr(rand: Callable[[], float], status: str) -> int | None:
    """In cents: sometimes unknown, 0 when churned (and now and then), else whole dollars."""
    r = rand()
    return None if r < 0.08 else 0 if r < 0.15 or status == "churned" else int(rand() * 4e5) * 100


def _channel(rng: random.Random, channels: set[str]) -> str | None:
    """About one customer in ten has a Slack channel, never one another customer has."""
    rand = rng.random
    channel = None
    if rand() < 0.1:
        while channel is None or channel in channels:
            channel = "C" + rng.randbytes(8 + int(rand() * 3)).translate(_CHANNEL_TABLE).decode()
        channels.add(channel)
    return channel


def _domain(rand: Callable[[], float], stem: str) -> str | None:
    if rand() < 0.05:
        return None
    return f"{stem.lower().replace(' ', '')}.{_TLDS[int(rand() * len(_TLDS))]}"


def _monthly_orders(rand: Callable[[], float]) -> int | None:
    """Long-tailed (Pareto-like): mostly small, a few very large, capped at a million."""
    return None if rand() < 0.1 else min(int(20 / (1.0 - rand()) ** (1 / 1.2)) - 20, 10**6)


def _integration_ids(rng: random.Random, bits: int) -> dict[str, str | None]:
    """HubSpot company and deal, Stripe and Intercom ids, each present with its own odds."""
    rand = rng.random
    return {
        "hubspot_company_id": str(10**8 + bits % (9 * 10**9)) if rand() < 0.7 else None,
        "hubspot_deal_id": str(10**9 + (bits >> 40) % (9 * 10**10)) if rand() < 0.5 else None,
        "stripe_customer_id": "cus_" + rng.randbytes(14).translate(_STRIPE_TABLE).decode()
        if rand() < 0.6
        else None,
        "intercom_company_id": f"{bits:032x}"[8:20] if rand() < 0.4 else None,
    }
