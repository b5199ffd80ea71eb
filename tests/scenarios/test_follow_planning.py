"""A change Pivotal reports becomes what follows owe, end to end: the sandbox's PATCH sends a
signed webhook, the bot applies it, and the planner folds it into the outbox once."""

from __future__ import annotations

import asyncio
import time

from bot.follows.model import Destination, NewFollow, Notice, Notification, Target
from bot.sandbox.pivotal.deliveries import new_secret
from bot.sandbox.stack import API_KEY
from tests.scenarios.harness import Harness, running_bot, until

SECRET = new_secret()
AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def owed(bot: Harness) -> list[Notification]:
    outbox = bot.deps.durable.outbox
    return await outbox.claim(now=time.time() + 10**6, lease_seconds=60, limit=1000)


async def edit(bot: Harness, ref: str, **changes: object) -> None:
    before = bot.deps.hooks.applied if bot.deps.hooks is not None else 0
    response = await bot.http.patch(f"{bot.pivotal.base_url}/customers/{ref}", headers=AUTH,
                                    json=changes)  # fmt: skip
    assert response.status_code == 200, response.text
    assert bot.pivotal.webhooks is not None
    await bot.pivotal.webhooks.drain()
    await until(lambda: bot.deps.hooks is not None and bot.deps.hooks.applied > before)


async def test_a_webhook_change_is_owed_to_the_customer_and_segment_follows_once() -> None:
    async with running_bot(pivotal_webhook_secret=SECRET) as bot:
        await bot.wait_ready()
        await bot.stop_background("notify")  # the rows are read here, not sent
        bot.pivotal.deliver_to(f"{bot.url}/pivotal/webhooks", SECRET)
        follows = bot.deps.durable.follows
        await follows.add(NewFollow(Target(display_id=42), Destination("C1"), "U1"), now=0)
        await follows.add(NewFollow(Target(segment="status:at_risk"), Destination("C2"), "U1"),
                          now=0)  # fmt: skip
        await follows.add(NewFollow(Target(display_id=7), Destination("C3"), "U1"), now=0)
        await edit(bot, "42", status="at_risk")
        rows = await owed(bot)
        assert sorted((row.channel_id, row.notices) for row in rows) == [
            ("C1", (Notice("status", "active", "at_risk"),)),
            ("C2", (Notice("segment", None, "status:at_risk"),
                    Notice("status", "active", "at_risk"))),
        ]  # fmt: skip
        # Pivotal delivers the same event again: nothing more is owed.
        assert bot.pivotal.webhooks is not None
        delivered = len(bot.pivotal.webhooks.delivered)
        await edit(bot, "42", status="at_risk")  # no change: no notification either
        await asyncio.sleep(0.05)
        assert len(bot.pivotal.webhooks.delivered) == delivered + 1
        assert len(await owed(bot)) == 0  # the two rows are leased (claimed above)


async def test_without_webhooks_a_directory_walk_is_what_notices_the_change() -> None:
    async with running_bot() as bot:
        await bot.wait_ready()
        await bot.stop_background("notify")
        follows = bot.deps.durable.follows
        await follows.add(NewFollow(Target(display_id=42), Destination("C1"), "U1"), now=0)
        response = await bot.http.patch(f"{bot.pivotal.base_url}/customers/42", headers=AUTH,
                                        json={"plan": "growth"})  # fmt: skip
        assert response.status_code == 200
        await bot.deps.directory.walk()
        [row] = await owed(bot)
        assert row.notices == (Notice("plan", "enterprise", "growth"),)
