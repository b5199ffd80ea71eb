"""Fakes for live cards: a Slack client with chat.update/chat.unfurl, a lookup, a customer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.lookup.directory import Snapshot
from bot.lookup.query import IdQuery, Query
from bot.lookup.service import Found, NotFound, Outcome
from bot.pivotal.models import Customer
from tests.unit.customers import make_customer

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Response(dict[str, Any]):
    def __init__(self, data: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(data)
        self.headers = headers or {}


class FakeClient:
    """chat.update and chat.unfurl, recorded; `errors` are raised first, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[Response] = []
        self.delay = 0.0  # seconds each call takes
        self.times: list[float] = []  # when each call arrived (loop time)

    async def _call(self, method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((method, kwargs))
        self.times.append(asyncio.get_running_loop().time())
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.errors:
            raise SlackApiError("refused", self.errors.pop(0))
        return {"ok": True}

    async def chat_update(self, **kwargs: Any) -> dict[str, Any]:
        return await self._call("chat.update", kwargs)

    async def chat_unfurl(self, **kwargs: Any) -> dict[str, Any]:
        return await self._call("chat.unfurl", kwargs)


class FakeLookup:
    """Answers every query with `customer` as it stands (or not found)."""

    def __init__(self, customer: Customer | None) -> None:
        self.customer = customer
        self.resolved = 0

    def peek(self, query: Query) -> Outcome | None:
        return None

    async def resolve(self, query: Query) -> Outcome:
        self.resolved += 1
        if self.customer is None:
            return NotFound("#42")
        return Found(Snapshot(self.customer, 0.0, T0), "cache")

    async def refetch(self, ref: str) -> Outcome:
        return await self.resolve(IdQuery(ref))


def acme(minutes: int = 0, **fields: Any) -> Customer:
    updated = (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    return make_customer(42, "Acme Co.", updated_at=updated, **fields)
