"""Refresh coalescing: one upstream request per customer per window, whoever clicks."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pydantic import SecretStr

from bot.lookup.directory import Directory
from bot.lookup.refresh import Refresher
from bot.lookup.service import CustomerLookup, Failed, Found, NotFound
from bot.pivotal.client import PivotalClient


class Timer:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


def body(ref: str) -> dict[str, Any]:
    return {"id": "cus_1", "display_id": 1, "name": "Acme", "status": "active",
            "created_at": "2024-05-01T10:00:00Z", "updated_at": "2024-06-01T10:00:00Z"}  # fmt: skip


async def make(status: int = 200) -> tuple[Refresher, list[str], Timer, PivotalClient]:
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        await asyncio.sleep(0)  # let concurrent clicks pile up on the same request
        if status != 200:
            kind = "not_found" if status == 404 else "api_error"
            return httpx.Response(status, json={"error": {"type": kind}})
        return httpx.Response(200, json=body(request.url.path.rsplit("/", 1)[-1]))

    client = PivotalClient("https://p.test/api/v1", SecretStr("pivotal_test_k"),
                           transport=httpx.MockTransport(handler), max_attempts=1)  # fmt: skip
    timer = Timer()
    directory = Directory(client, refresh_seconds=600, timer=timer)
    directory.load([])
    lookup = CustomerLookup(client, directory, ttl=300, timer=timer)
    return Refresher(lookup, window=5.0, timer=timer), seen, timer, client


async def test_clicks_within_the_window_share_one_request() -> None:
    refresher, seen, timer, client = await make()
    outcomes = await asyncio.gather(*(refresher.refresh("cus_1") for _ in range(20)))
    assert all(isinstance(o, Found) for o in outcomes)
    assert await refresher.refresh("1") == outcomes[0]  # by number too
    timer.t += 4.9
    await refresher.refresh("cus_1")
    assert len(seen) == 1
    timer.t += 0.2  # past the window, though the cached copy is still fresh (TTL 300 s)
    await refresher.refresh("cus_1")
    assert len(seen) == 2
    await client.aclose()


async def test_failures_are_told_not_hidden() -> None:
    refresher, _, _, client = await make(status=404)
    assert isinstance(await refresher.refresh("cus_9"), NotFound)
    await client.aclose()
    refresher, _, _, client = await make(status=500)
    assert isinstance(await refresher.refresh("cus_1"), Failed)
    await client.aclose()
