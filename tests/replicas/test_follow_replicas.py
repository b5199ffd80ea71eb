"""Follows across real `pivotal-bot serve` processes on one PostgreSQL and Redis: a change
Pivotal sends to any replica is one message per follow in Slack, whatever repeats it."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

from bot.follows.model import Destination, NewFollow, Target
from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from bot.store.database import Database
from bot.store.follows import SqlFollows
from tests.postgres_server import PostgresServer
from tests.redis_server import RedisServer
from tests.replicas.cluster import Cluster, cluster

SECRET = new_secret()
CHANNELS = ("C0FOLLOW1", "C0FOLLOW2", "C0FOLLOW3")


def at_risk(group: Cluster) -> dict[str, Any]:
    (row,) = [c for c in group.pivotal.customers if c["display_id"] == 42]
    later = datetime.fromisoformat(row["updated_at"]) + timedelta(minutes=5)
    return {**row, "status": "at_risk", "updated_at": later.isoformat().replace("+00:00", "Z")}


def notifications(group: Cluster) -> dict[str, int]:
    """Messages posted per channel that carry a notification's metadata."""
    posted: dict[str, int] = {}
    for call in group.slack.calls_to("chat.postMessage"):
        metadata = call.body.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("event_type") == "pivotal_notification":
            channel = str(call.body.get("channel"))
            posted[channel] = posted.get(channel, 0) + 1
    return posted


async def settle(group: Cluster, expected: dict[str, int], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while notifications(group) != expected:
        if time.monotonic() > deadline:
            logs = "\n".join(r.log()[-3000:] for r in group.replicas)
            raise AssertionError(f"posted {notifications(group)}, expected {expected}\n{logs}")
        await asyncio.sleep(0.1)


async def test_three_replicas_one_webhook_one_message_per_follow(
    postgres_server: PostgresServer, redis_server: RedisServer
) -> None:
    redis_server.flush()
    url = postgres_server.create_database("follows")
    async with cluster(redis_server.url, DATABASE_URL=url, PIVOTAL_WEBHOOK_SECRET=SECRET) as group:
        replicas = [await group.start_replica() for _ in range(3)]
        database = Database(url)
        try:
            follows = SqlFollows(database)
            for channel in CHANNELS:
                asked = NewFollow(Target(display_id=42), Destination(channel), "U0PERSON")
                await follows.add(asked, now=time.time())
        finally:
            await database.aclose()
        event = envelope("customer.updated", at_risk(group))
        second = WebhookSender(f"{replicas[1].url}/pivotal/webhooks", SECRET, group.http)
        assert (await second.deliver(event)).status_code == 202
        await settle(group, dict.fromkeys(CHANNELS, 1))
        # Pivotal retries the same event at the third replica: a duplicate, nothing more.
        third = WebhookSender(f"{replicas[2].url}/pivotal/webhooks", SECRET, group.http)
        again = await third.deliver(event)
        assert again.status_code == 200 and again.json() == {"status": "duplicate"}
        await asyncio.sleep(3)  # several sender rounds on every replica
        assert notifications(group) == dict.fromkeys(CHANNELS, 1)
        texts = [str(c.body.get("text")) for c in group.slack.calls_to("chat.postMessage")]
        assert all("At risk" in text for text in texts if "Acme" in text)


async def test_a_single_default_process_restarted_keeps_its_follows(tmp_path: Any) -> None:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    async with cluster(None, DATABASE_URL=db, PIVOTAL_WEBHOOK_SECRET=SECRET) as group:
        first = await group.start_replica()
        database = Database(db)
        try:
            asked = NewFollow(
                Target(segment="status:at_risk"), Destination(CHANNELS[0]), "U0PERSON"
            )
            await SqlFollows(database).add(asked, now=time.time())
        finally:
            await database.aclose()
        await group.stop()  # SIGTERM, as a deploy would
        group.replicas.clear()
        second = await group.start_replica()
        sender = WebhookSender(f"{second.url}/pivotal/webhooks", SECRET, group.http)
        assert (
            await sender.deliver(envelope("customer.updated", at_risk(group)))
        ).status_code == 202
        await settle(group, {CHANNELS[0]: 1})
        assert first.proc.returncode is not None
