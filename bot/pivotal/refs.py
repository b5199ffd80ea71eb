"""Which customer references may ever be put in an API path."""

from __future__ import annotations

import re

DISPLAY_ID_RE = re.compile(r"^[0-9]{1,12}$")
OPAQUE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def is_safe_customer_ref(ref: str) -> bool:
    """True if `ref` is a display_id (digits) or an opaque id (letters, digits, _ and -)."""
    return bool(DISPLAY_ID_RE.fullmatch(ref) or OPAQUE_ID_RE.fullmatch(ref))
