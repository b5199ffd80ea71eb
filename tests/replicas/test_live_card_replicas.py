"""Real `pivotal-bot serve` processes on one redis-server: live cards survive a restart and
are redrawn once per change, whichever replica shared them and whichever hears the change."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from bot.blocks import ids
from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from tests.redis_server import RedisServer
from tests.replicas.cluster import Cluster, Replica, cluster
from tests.scenarios.test_share import share_value

SECRET = new_secret()
LINK = "https://my.pivotal.app/customers/42"


def acme(group: Cluster, minutes: int, **changes: Any) -> dict[str, Any]:
    (row,) = [c for c in group.pivotal.customers if c["display_id"] == 42]
    later = datetime.fromisoformat(row["updated_at"]) + timedelta(minutes=minutes)
    return {**row, **changes, "updated_at": later.isoformat().replace("+00:00", "Z")}


async def change(group: Cluster, replica: Replica, obj: dict[str, Any]) -> None:
    sender = WebhookSender(f"{replica.url}/pivotal/webhooks", SECRET, group.http)
    assert (await sender.deliver(envelope("customer.updated", obj))).status_code == 202


async def stop(replica: Replica) -> None:
    replica.proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(replica.proc.wait(), 20) == 0, replica.log()


def redraws(group: Cluster) -> Counter[str]:
    """Calls per card after the first post/unfurl: chat.update by ts, chat.unfurl by url."""
    counted: Counter[str] = Counter(c.body["ts"] for c in group.slack.calls_to("chat.update"))
    for call in group.slack.calls_to("chat.unfurl")[1:]:  # the first is the unfurl itself
        counted.update(list(call.body["unfurls"]))
    return counted


async def test_cards_follow_through_a_restart_and_are_redrawn_once(redis: RedisServer) -> None:
    async with cluster(redis.url, PIVOTAL_WEBHOOK_SECRET=SECRET) as group:
        first, second = [await group.start_replica() for _ in range(2)]
        card = await first.driver.lookup("42")
        await first.driver.action(ids.SHARE_CUSTOMER, share_value(card))
        (posted,) = await group.slack.wait_for("chat.postMessage")
        await first.driver.link_shared([LINK])
        await group.slack.wait_for("chat.unfurl")
        await stop(first)  # the replica that shared and unfurled is gone, its memory too
        third = await group.start_replica()
        await asyncio.sleep(0.5)  # both replicas follow the change stream

        await change(group, second, acme(group, 1, plan="growth", mrr=150000))
        await group.slack.wait_for("chat.update", 1, timeout=15)
        await group.slack.wait_for("chat.unfurl", 2, timeout=15)
        await asyncio.sleep(2.5)  # two paced turns: time for a second redraw to show up
        (update,) = group.slack.calls_to("chat.update")
        ts = update.body["ts"]
        assert update.body["channel"] == posted.body["channel"] and ts
        assert redraws(group) == {ts: 1, LINK: 1}
        assert "$1,500" in json.dumps(update.body["blocks"])
        assert "Shared by <@" in json.dumps(update.body["blocks"])

        await change(group, third, acme(group, 2, plan="scale"))
        await group.slack.wait_for("chat.update", 2, timeout=15)
        await group.slack.wait_for("chat.unfurl", 3, timeout=15)
        await asyncio.sleep(2.5)
        assert redraws(group) == {ts: 2, LINK: 2}
        assert "scale" in group.slack.calls_to("chat.update")[-1].body["text"]
