"""In-memory customer store behind the sandbox Pivotal API (ordering, paging, soft delete)."""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

__all__ = ["CustomerStore", "parse_cursor"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DIGITS = re.compile(r"[0-9]+")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def _micros(value: str) -> int:
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // timedelta(microseconds=1)


def parse_cursor(value: str) -> int:
    """An ISO 8601 date-time as integer microseconds since the epoch; ValueError if invalid."""
    if not _DATETIME.fullmatch(value):
        raise ValueError(f"invalid datetime: {value!r}")
    return _micros(value)


class CustomerStore:
    """Customers keyed by cuid, listed newest first (``created_at`` descending)."""

    def __init__(self, customers: list[dict[str, Any]]) -> None:
        self._by_id: dict[str, dict[str, Any]] = {c["id"]: dict(c) for c in customers}
        self._deleted: set[str] = set()
        self._reindex()

    def _reindex(self) -> None:
        live = [c for cid, c in self._by_id.items() if cid not in self._deleted]
        live.sort(key=lambda c: _micros(c["created_at"]), reverse=True)
        self._order = live
        self._neg_keys = [-_micros(c["created_at"]) for c in live]
        self._by_display = {c["display_id"]: c for c in live}

    def all(self) -> list[dict[str, Any]]:
        """Visible (not deleted) customers, newest first."""
        return list(self._order)

    def get(self, ident: str) -> dict[str, Any] | None:
        """All digits → by display_id, else by cuid. Deleted customers are not found."""
        if _DIGITS.fullmatch(ident):
            return self._by_display.get(int(ident))
        c = self._by_id.get(ident)
        return c if c is not None and ident not in self._deleted else None

    def page(
        self, limit: int, before_micros: int | None = None, status: str | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` customers created strictly before the cursor, filtered by status
        before paging. Returns (page, has_more)."""
        start = 0 if before_micros is None else bisect_right(self._neg_keys, -before_micros)
        page: list[dict[str, Any]] = []
        for c in islice(self._order, start, None):
            if status is not None and c["status"] != status:
                continue
            if len(page) == limit:
                return page, True
            page.append(c)
        return page, False

    def upsert(self, customer: dict[str, Any]) -> None:
        """Insert or replace (matched on ``id``, else ``display_id``); undeletes it."""
        old = self._by_id.get(customer["id"]) or self._by_display.get(customer["display_id"])
        if old is not None:
            self._by_id.pop(old["id"], None)
        self._deleted.discard(customer["id"])
        self._by_id[customer["id"]] = dict(customer)
        self._reindex()

    def delete(self, display_id: int) -> bool:
        """Soft delete: later gets miss and pages skip it. False if not found."""
        c = self._by_display.get(display_id)
        if c is None:
            return False
        self._deleted.add(c["id"])
        self._reindex()
        return True
