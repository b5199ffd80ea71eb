"""The sandbox's PATCH /customers/{id} updates the customer and delivers a signed webhook."""

from __future__ import annotations

import asyncio
import time

import httpx

from bot.sandbox.pivotal.deliveries import new_secret
from bot.sandbox.stack import API_KEY
from tests.scenarios.harness import running_bot

SECRET = new_secret()
AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def test_patch_reaches_the_card_through_a_signed_webhook_with_no_get() -> None:
    async with running_bot(pivotal_webhook_secret=SECRET) as bot:
        target = bot.pivotal.deliver_to(f"{bot.url}/pivotal/webhooks", SECRET)
        before = bot.pivotal.store.get("42")
        assert before is not None
        response = await bot.http.patch(f"{bot.pivotal.base_url}/customers/42", headers=AUTH,
                                        json={"plan": "growth", "mrr": 150000})  # fmt: skip
        assert response.status_code == 200
        body = response.json()
        assert body["plan"] == "growth" and body["updated_at"] > before["updated_at"]
        await target.drain()
        assert [status for _, status in target.delivered] == [202]
        deadline = time.monotonic() + 5
        while bot.deps.hooks is not None and bot.deps.hooks.applied < 1:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        bot.pivotal.clear_requests()
        card = await bot.lookup("42")
        assert "growth" in str(card["blocks"]) and "$1,500" in str(card["blocks"])
        assert bot.pivotal.customer_gets() == 0


async def test_patch_refuses_bad_bodies_and_keys() -> None:
    async with running_bot() as bot, httpx.AsyncClient() as http:
        url = f"{bot.pivotal.base_url}/customers/42"
        assert (await http.patch(url, json={"plan": "x"})).status_code == 401
        for body in ({}, {"mrr": "lots"}, {"id": "other"}, {"name": " "}, [1]):
            response = await http.patch(url, headers=AUTH, json=body)
            assert response.status_code == 400, body
            assert response.json()["error"]["type"] == "invalid_request_error"
        missing = await http.patch(f"{bot.pivotal.base_url}/customers/99999", headers=AUTH,
                                   json={"plan": "x"})  # fmt: skip
        assert missing.status_code == 404
        assert bot.pivotal.store.get("42")["plan"] != "x"  # type: ignore[index]
