"""A webhook answered 2xx is never lost: real `pivotal-bot serve` processes are SIGKILLed
after answering and before applying it, and the change still reaches the card (on restart,
or through the replica that survives on the same PostgreSQL)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.sandbox.pivotal.deliveries import WebhookSender, envelope, new_secret
from tests.postgres_server import PostgresServer
from tests.replicas.cluster import Cluster, Replica, cluster

SECRET = new_secret()
FAST = {"PIVOTAL_WEBHOOK_SECRET": SECRET, "WEBHOOK_LEASE_SECONDS": "1"}

# The event is recorded (and answered 202) but applying it fails while these hold, so the
# process is killed with the entry undone, exactly as if it had died mid-apply.
SQLITE_HOLD = [
    "CREATE TRIGGER hold_insert BEFORE INSERT ON customer_signals "
    "BEGIN SELECT RAISE(ABORT, 'held by the test'); END",
    "CREATE TRIGGER hold_update BEFORE UPDATE ON customer_signals "
    "BEGIN SELECT RAISE(ABORT, 'held by the test'); END",
]
SQLITE_RELEASE = ["DROP TRIGGER hold_insert", "DROP TRIGGER hold_update"]
PG_HOLD = [
    "CREATE FUNCTION hold() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'held by the test'; "
    "END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER hold BEFORE INSERT OR UPDATE ON customer_signals "
    "FOR EACH ROW EXECUTE FUNCTION hold()",
]
PG_RELEASE = ["DROP TRIGGER hold ON customer_signals", "DROP FUNCTION hold()"]


def changed_acme(group: Cluster) -> dict[str, Any]:
    (row,) = [c for c in group.pivotal.customers if c["display_id"] == 42]
    later = datetime.fromisoformat(row["updated_at"]) + timedelta(minutes=5)
    return {**row, "plan": "survived", "updated_at": later.isoformat().replace("+00:00", "Z"),
            "health_score": 38, "previous_health_score": 72}  # fmt: skip


async def deliver(group: Cluster, replica: Replica, obj: dict[str, Any]) -> str:
    event = envelope("customer.updated", obj)
    sender = WebhookSender(f"{replica.url}/pivotal/webhooks", SECRET, group.http)
    assert (await sender.deliver(event)).status_code == 202
    return str(event["id"])


async def until(check: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout} s")
        await asyncio.sleep(0.05)


async def kill(replica: Replica) -> None:
    replica.proc.kill()  # SIGKILL: no shutdown, no drain
    await replica.proc.wait()


async def card_shows_the_change(replica: Replica, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        blocks = str((await replica.driver.lookup("42"))["blocks"])
        if "survived" in blocks.lower() and "38, down from 72" in blocks:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the card never showed the change: {blocks}\n{replica.log()}")
        await asyncio.sleep(0.3)


def sqlite_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path, timeout=5) as conn:
        return list(conn.execute(sql).fetchall())


def sqlite_run(path: Path, statements: list[str]) -> None:
    with sqlite3.connect(path, timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)


async def test_a_single_process_killed_after_answering_applies_the_event_on_restart(
    tmp_path: Path,
) -> None:
    db = tmp_path / "bot.db"
    async with cluster(None, DATABASE_URL=f"sqlite:///{db}", **FAST) as group:
        first = await group.start_replica()
        sqlite_run(db, SQLITE_HOLD)
        event_id = await deliver(group, first, changed_acme(group))
        inbox = f"SELECT last_error, done_at FROM webhook_inbox WHERE event_id = '{event_id}'"
        await until(lambda: sqlite_rows(db, inbox)[0][0] is not None, 10, "apply failed")
        await kill(first)
        sqlite_run(db, SQLITE_RELEASE)
        assert sqlite_rows(db, inbox)[0][1] is None  # recorded, answered, not applied

        second = await group.start_replica()
        await card_shows_the_change(second)
        await until(lambda: sqlite_rows(db, inbox)[0][1] is not None, 10, "marked done")
        assert "pivotal.webhook.recovered" in second.log()
        # Pivotal's retry of the same event is a duplicate, not a second change.
        again = WebhookSender(f"{second.url}/pivotal/webhooks", SECRET, group.http)
        event = envelope("customer.updated", changed_acme(group))
        event["id"] = event_id
        answer = await again.deliver(event)
        assert answer.status_code == 200 and answer.json() == {"status": "duplicate"}


async def test_two_replicas_on_one_postgresql_the_survivor_finishes_the_work(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database("inbox")
    async with cluster(None, DATABASE_URL=url, **FAST) as group:
        first, second = [await group.start_replica() for _ in range(2)]
        for statement in PG_HOLD:
            postgres_server.sql(statement, url=url)
        event_id = await deliver(group, first, changed_acme(group))
        inbox = f"SELECT last_error, done_at FROM webhook_inbox WHERE event_id = '{event_id}'"
        await until(lambda: postgres_server.sql(inbox, url=url)[0][0] is not None, 10, "failed")
        await kill(first)
        for statement in PG_RELEASE:
            postgres_server.sql(statement, url=url)
        assert postgres_server.sql(inbox, url=url)[0][1] is None

        await card_shows_the_change(second)
        await until(lambda: postgres_server.sql(inbox, url=url)[0][1] is not None, 10, "done")
        assert "pivotal.webhook.recovered" in second.log()
        # The same event sent again, to the survivor: one inbox for both, so a duplicate.
        again = WebhookSender(f"{second.url}/pivotal/webhooks", SECRET, group.http)
        event = envelope("customer.updated", changed_acme(group))
        event["id"] = event_id
        answer = await again.deliver(event)
        assert answer.status_code == 200 and answer.json() == {"status": "duplicate"}
