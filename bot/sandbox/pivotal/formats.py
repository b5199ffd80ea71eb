"""Pivotal's spelling of ids and times: cuid v1 ids in base 36, slugs, ISO 8601 UTC times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = [
    "B36",
    "SLACK_ID_ALPHABET",
    "STRIPE_ALPHABET",
    "b36",
    "cuid",
    "epoch_ms",
    "format_ms",
    "format_timestamp",
    "slugify",
]

B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
SLACK_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STRIPE_ALPHABET = B36 + SLACK_ID_ALPHABET[10:]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)  # naive UTC, for fast isoformat
_B36_PAIRS = tuple(a + b for a in B36 for b in B36)


def format_timestamp(dt: datetime) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, e.g. ``2026-05-26T17:21:09.412Z``."""
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def format_ms(ms: int) -> str:
    """``format_timestamp`` for milliseconds since the epoch (faster, for bulk generation)."""
    return (_EPOCH_NAIVE + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds") + "Z"


def epoch_ms(dt: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    return (dt - _EPOCH) // timedelta(milliseconds=1)


def b36(value: int, width: int) -> str:
    """Lowercase base 36, zero-padded/truncated to ``width`` (even) digits."""
    out = ""
    for _ in range(width // 2):
        value, rem = divmod(value, 1296)
        out = _B36_PAIRS[rem] + out
    return out


def cuid(created_ms: int, counter: int, fingerprint: str, rand: int) -> str:
    """cuid v1 layout: ``c`` + timestamp(8) + counter(4) + fingerprint(4) + random(8)."""
    return "c" + b36(created_ms, 8) + b36(counter, 4) + fingerprint + b36(rand, 8)


def slugify(name: str) -> str:
    """Lowercase words joined by hyphens, e.g. ``Smith & Sons <Ltd>`` -> ``smith-sons-ltd``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
