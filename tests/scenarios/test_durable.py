"""The durable tier through the real HTTP path: what webhooks told survives a restart, and a
delivery the bot cannot record is answered 5xx so Pivotal sends it again."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bot.lookup.feed import InboxEntry
from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from tests.scenarios.harness import Harness, running_bot, until

SECRET = new_secret()


def health_event(bot: Harness) -> dict[str, Any]:
    partial = {"id": "cus_0042", "display_id": 42, "health_score": 38, "previous_health_score": 72}
    return envelope("customer.updated", partial)


def sender(bot: Harness) -> WebhookSender:
    return WebhookSender(f"{bot.url}/pivotal/webhooks", SECRET, bot.http)


def blocks(card: Any) -> str:
    return json.dumps(card["blocks"]) if isinstance(card, dict) else repr(card)


async def test_health_told_by_a_webhook_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    async with running_bot(pivotal_webhook_secret=SECRET, database_url=url) as bot:
        await bot.wait_ready()
        assert (await sender(bot).deliver(health_event(bot))).status_code == 202
        await until(lambda: bot.deps.hooks is not None and bot.deps.hooks.applied == 1)
        assert "38, down from 72" in blocks(await bot.lookup("42"))
    async with running_bot(pivotal_webhook_secret=SECRET, database_url=url) as bot:
        await bot.wait_ready()
        assert "38, down from 72" in blocks(await bot.lookup("42"))  # no webhook this time
    async with running_bot(pivotal_webhook_secret=SECRET) as other:  # another database
        await other.wait_ready()
        assert "38, down from 72" not in blocks(await other.lookup("42"))


async def test_a_database_away_at_start_up_leaves_lookups_working_and_webhooks_retried() -> None:
    away = "postgresql://bot@127.0.0.1:9/nowhere"  # nothing listens on port 9
    async with running_bot(pivotal_webhook_secret=SECRET, database_url=away) as bot:
        await bot.wait_ready()
        assert "Acme" in blocks(await bot.lookup("42"))
        answer = await sender(bot).deliver(health_event(bot))
        assert answer.status_code == 503 and "again" in answer.json()["error"]
        assert bot.deps.hooks is not None and bot.deps.hooks.applied == 0


class SlowInbox:
    """An inbox whose database takes longer than the receiver waits."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    async def record(self, event_id: str, body: bytes, *, lease_seconds: float) -> InboxEntry:
        await asyncio.sleep(self.seconds)
        return InboxEntry(1, event_id, body, 1)


async def test_a_delivery_not_recorded_within_a_second_is_answered_503() -> None:
    async with running_bot(pivotal_webhook_secret=SECRET) as bot:
        await bot.wait_ready()
        assert bot.deps.hooks is not None
        bot.deps.hooks.inbox = SlowInbox(3.0)  # type: ignore[assignment]
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await sender(bot).deliver(health_event(bot))
        assert answer.status_code == 503
        assert loop.time() - started < 2.5  # it did not wait for the slow database
        assert bot.deps.hooks.applied == 0


async def test_a_redelivered_event_is_recorded_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'once.db'}"
    async with running_bot(pivotal_webhook_secret=SECRET, database_url=url) as bot:
        await bot.wait_ready()
        event = health_event(bot)
        first, second = await sender(bot).deliver(event), await sender(bot).deliver(event)
        assert (first.status_code, second.status_code) == (202, 200)
        assert second.json() == {"status": "duplicate"}
        await until(lambda: bot.deps.hooks is not None and bot.deps.hooks.applied == 1)
        for _ in range(100):  # applied, then marked done: wait for the second step too
            if await bot.deps.durable.inbox.pending() == (0, None):
                break
            await asyncio.sleep(0.05)
        assert await bot.deps.durable.inbox.pending() == (0, None)
        assert bot.deps.hooks is not None and bot.deps.hooks.applied == 1
