"""SqlInbox's contract on SQLite and PostgreSQL: record, lease, claim, finish, purge, count."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.lookup.feed import Inbox, InboxEntry
from bot.store.database import Database
from bot.store.inbox import SqlInbox
from bot.store.schema import webhook_inbox
from tests.store.conftest import Clock

LEASE = 30.0


async def _column(database: Database, column: str) -> dict[str, object]:
    stmt = select(webhook_inbox.c.event_id, webhook_inbox.c[column])
    async with database.connect() as conn:
        return {row[0]: row[1] for row in (await conn.execute(stmt)).all()}


async def test_a_new_event_is_recorded_once(database: Database, clock: Clock) -> None:
    inbox: Inbox = SqlInbox(database, clock=clock)
    first = await inbox.record("evt_1", b'{"a":1}', lease_seconds=LEASE)
    again = await inbox.record("evt_1", b'{"a":"other"}', lease_seconds=LEASE)
    second = await inbox.record("evt_2", b"\x00\xff binary", lease_seconds=LEASE)
    assert first == InboxEntry(1, "evt_1", b'{"a":1}', 1)
    assert again is None
    assert second is not None
    assert second.id > 1  # PostgreSQL's sequence may skip the number the duplicate drew
    assert second == InboxEntry(second.id, "evt_2", b"\x00\xff binary", 1)
    assert await _column(database, "body") == {"evt_1": b'{"a":1}', "evt_2": b"\x00\xff binary"}


async def test_an_entry_is_claimed_only_once_its_lease_has_run_out(
    database: Database, clock: Clock
) -> None:
    inbox = SqlInbox(database, clock=clock)
    entry = await inbox.record("evt_1", b"{}", lease_seconds=LEASE)
    assert entry is not None
    assert await inbox.claim(limit=10, lease_seconds=LEASE) == []
    clock.advance(LEASE - 0.5)
    assert await inbox.claim(limit=10, lease_seconds=LEASE) == []
    clock.advance(0.5)
    assert await inbox.claim(limit=10, lease_seconds=LEASE) == [
        InboxEntry(entry.id, "evt_1", b"{}", 2)
    ]
    assert await inbox.claim(limit=10, lease_seconds=LEASE) == []  # leased again, to us
    clock.advance(LEASE)
    assert [e.attempts for e in await inbox.claim(limit=10, lease_seconds=LEASE)] == [3]


async def test_claims_take_the_oldest_first_up_to_the_limit(
    database: Database, clock: Clock
) -> None:
    inbox = SqlInbox(database, clock=clock)
    for n in range(5):
        await inbox.record(f"evt_{n}", b"{}", lease_seconds=0)
    first = await inbox.claim(limit=3, lease_seconds=LEASE)
    rest = await inbox.claim(limit=10, lease_seconds=LEASE)
    assert [e.event_id for e in first] == ["evt_0", "evt_1", "evt_2"]
    assert [e.event_id for e in rest] == ["evt_3", "evt_4"]


async def test_a_done_entry_is_never_claimed_and_not_pending(
    database: Database, clock: Clock
) -> None:
    inbox = SqlInbox(database, clock=clock)
    entry = await inbox.record("evt_1", b"{}", lease_seconds=LEASE)
    assert entry is not None
    await inbox.done(entry.id)
    clock.advance(LEASE * 10)
    assert await inbox.claim(limit=10, lease_seconds=LEASE) == []
    assert await inbox.pending() == (0, None)
    assert await inbox.record("evt_1", b"{}", lease_seconds=LEASE) is None  # still a dedupe record
    assert await _column(database, "done_at") == {"evt_1": clock.now - LEASE * 10}


async def test_retry_later_keeps_the_error_and_waits_out_the_delay(
    database: Database, clock: Clock
) -> None:
    inbox = SqlInbox(database, clock=clock)
    entry = await inbox.record("evt_1", b"{}", lease_seconds=LEASE)
    assert entry is not None
    await inbox.retry_later(entry.id, "PivotalUnavailable: 503", delay_seconds=60)
    clock.advance(59)
    assert await inbox.claim(limit=10, lease_seconds=LEASE) == []
    clock.advance(1)
    assert await inbox.claim(limit=10, lease_seconds=LEASE) == [
        InboxEntry(entry.id, "evt_1", b"{}", 2)
    ]
    assert await _column(database, "last_error") == {"evt_1": "PivotalUnavailable: 503"}


async def test_purge_deletes_old_done_entries_and_keeps_every_undone_one(
    database: Database, clock: Clock
) -> None:
    inbox = SqlInbox(database, clock=clock)
    old_done = await inbox.record("old_done", b"{}", lease_seconds=LEASE)
    await inbox.record("old_undone", b"{}", lease_seconds=LEASE)
    clock.advance(3600)
    new_done = await inbox.record("new_done", b"{}", lease_seconds=LEASE)
    assert old_done is not None and new_done is not None
    await inbox.done(old_done.id)
    await inbox.done(new_done.id)
    clock.advance(60)
    assert await inbox.purge(older_than_seconds=1800) == 1
    assert await inbox.purge(older_than_seconds=1800) == 0
    assert set(await _column(database, "event_id")) == {"old_undone", "new_done"}
    assert await inbox.pending() == (1, 3660.0)
    assert await inbox.record("old_done", b"{}", lease_seconds=LEASE) is not None  # forgotten


async def test_pending_counts_undone_entries_and_ages_the_oldest(
    database: Database, clock: Clock
) -> None:
    inbox = SqlInbox(database, clock=clock)
    assert await inbox.pending() == (0, None)
    await inbox.record("evt_1", b"{}", lease_seconds=LEASE)
    clock.advance(5)
    await inbox.record("evt_2", b"{}", lease_seconds=LEASE)
    clock.advance(2.5)
    assert await inbox.pending() == (2, 7.5)


async def test_an_entry_left_by_a_crashed_process_is_finished_by_another(
    database_url: str, clock: Clock
) -> None:
    one, two = Database(database_url), Database(database_url)
    try:
        first, second = SqlInbox(one, clock=clock), SqlInbox(two, clock=clock)
        entry = await first.record("evt_1", b'{"x":1}', lease_seconds=LEASE)
        assert entry is not None
        await one.aclose()  # process 1 stops before applying it
        clock.advance(LEASE / 2)
        assert await second.claim(limit=10, lease_seconds=LEASE) == []
        clock.advance(LEASE / 2)
        assert await second.claim(limit=10, lease_seconds=LEASE) == [
            InboxEntry(entry.id, "evt_1", b'{"x":1}', 2)
        ]
        await second.done(entry.id)
        assert await second.pending() == (0, None)
    finally:
        await one.aclose()
        await two.aclose()


async def test_concurrent_claimers_on_two_engines_never_share_a_row(
    database_url: str, clock: Clock
) -> None:
    engines = [Database(database_url), Database(database_url)]
    try:
        inboxes = [SqlInbox(db, clock=clock) for db in engines]
        for n in range(200):
            await inboxes[n % 2].record(f"evt_{n}", b"{}", lease_seconds=0)

        async def claimer(inbox: SqlInbox) -> list[int]:
            taken: list[int] = []
            while batch := await inbox.claim(limit=7, lease_seconds=LEASE):
                taken += [entry.id for entry in batch]
            return taken

        results = await asyncio.gather(*(claimer(inboxes[n % 2]) for n in range(8)))
    finally:
        for db in engines:
            await db.aclose()
    claimed = [entry_id for taken in results for entry_id in taken]
    assert sorted(claimed) == list(range(1, 201))  # every row, each exactly once
    assert sum(1 for taken in results if taken) > 1  # the claimers really did overlap
