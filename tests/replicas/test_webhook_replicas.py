"""Two bots on one real redis-server: a webhook received by one replica is seen by the other."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from tests.redis_server import RedisServer
from tests.scenarios.harness import Harness, running_bot, until

SECRET = new_secret()


def acme(bot: Harness, **changes: object) -> dict[str, object]:
    (found,) = [c for c in bot.pivotal.customers if c["display_id"] == 42]
    later = datetime.fromisoformat(found["updated_at"]) + timedelta(minutes=1)
    return {**found, "updated_at": later.isoformat().replace("+00:00", "Z"), **changes}


async def test_a_webhook_on_one_replica_reaches_the_other(redis_server: RedisServer) -> None:
    redis_server.flush()
    settings = {"redis_url": redis_server.url, "pivotal_webhook_secret": SECRET}
    async with running_bot(**settings) as one, running_bot(**settings) as two:
        assert one.deps.hooks is not None and two.deps.hooks is not None
        feeds = [h.peers for h in (one.deps.hooks, two.deps.hooks)]
        await until(lambda: all(f is not None and f.tailing for f in feeds))
        event = envelope("customer.updated", {**acme(one, plan="replicated"), "health_score": 38,
                                              "previous_health_score": 72})  # fmt: skip
        sender = WebhookSender(f"{one.url}/pivotal/webhooks", SECRET, one.http)
        assert (await sender.deliver(event)).status_code == 202
        assert two.deps.hooks.peers is not None
        await until(lambda: two.deps.hooks.peers.received >= 1)  # type: ignore[union-attr]
        two.pivotal.clear_requests()
        card = await two.lookup("42")
        assert "replicated" in str(card["blocks"]) and "38, down from 72" in str(card["blocks"])
        assert two.pivotal.customer_gets() == 0
        # The same event redelivered to the other replica is a no-op there.
        other = WebhookSender(f"{two.url}/pivotal/webhooks", SECRET, two.http)
        again = await other.deliver(event)
        assert again.status_code == 200 and again.json() == {"status": "duplicate"}


async def test_what_a_partial_events_refetch_brings_reaches_the_other_replica(
    redis_server: RedisServer,
) -> None:
    redis_server.flush()
    settings = {"redis_url": redis_server.url, "pivotal_webhook_secret": SECRET}
    async with running_bot(**settings) as one, running_bot(**settings) as two:
        assert one.deps.hooks is not None and two.deps.hooks is not None
        feeds = [h.peers for h in (one.deps.hooks, two.deps.hooks)]
        await until(lambda: all(f is not None and f.tailing for f in feeds))
        # Pivotal changed the plan and only says the health score moved, not what else did.
        one.pivotal.store.upsert(acme(one, plan="refetched"))
        partial = {"id": "cus_0042", "display_id": 42, "health_score": 55}
        sender = WebhookSender(f"{one.url}/pivotal/webhooks", SECRET, one.http)
        assert (await sender.deliver(envelope("customer.updated", partial))).status_code == 202
        await until(lambda: one.deps.hooks.refetcher.gets == 1)  # type: ignore[union-attr]
        shared = two.deps.hooks.peers
        assert shared is not None
        await until(lambda: shared.received >= 2)  # the merge, then the refetched copy
        two.pivotal.clear_requests()
        card = await two.lookup("42")
        assert "refetched" in str(card["blocks"]) and two.pivotal.customer_gets() == 0
