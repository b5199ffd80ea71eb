"""SqlOutbox's contract on SQLite and PostgreSQL: fold once, claim with a lease, send, pace."""

from __future__ import annotations

import asyncio

from sqlalchemy import Table, func, select

from bot.follows.model import Destination, Follow, NewFollow, Notice, Notification, Target
from bot.follows.store import Outbox, OutboxStats
from bot.store.database import Database
from bot.store.follows import SqlFollows
from bot.store.outbox import SqlOutbox, utc_day
from bot.store.schema import digest_items, digest_runs, notifications, notified_events

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
WINDOW = 30.0
LEASE = 60.0
DROP = Notice("health", "72", "58")
STATUS = Notice("status", "active", "at_risk")


async def follow_of(database: Database, display_id: int = 42, channel: str = "C1") -> Follow:
    asked = NewFollow(Target(display_id=display_id), Destination(channel), created_by="U1")
    follow, _ = await SqlFollows(database).add(asked, now=NOW - 3600)
    return follow


async def count(database: Database, table: Table) -> int:
    async with database.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def fold(
    outbox: SqlOutbox,
    follow: Follow,
    key: str,
    *notices: Notice,
    at: float = NOW,
    display_id: int = 42,
    broadcast: bool = False,
) -> Notification | None:
    return await outbox.fold(
        follow,
        display_id,
        key,
        notices or (DROP,),
        now=at,
        window_seconds=WINDOW,
        broadcast=broadcast,
    )


async def test_a_change_starts_a_pending_notification_once(database: Database) -> None:
    outbox: Outbox = SqlOutbox(database)
    follow = await follow_of(database)
    first = await outbox.fold(
        follow, 42, "event:1", (DROP,), now=NOW, window_seconds=WINDOW, broadcast=False
    )
    again = await outbox.fold(
        follow, 42, "event:1", (STATUS,), now=NOW + 1, window_seconds=WINDOW, broadcast=True
    )
    assert first == Notification(
        id=1, follow_id=follow.id, channel_id="C1", display_id=42, notices=(DROP,), first_at=NOW
    )
    assert again is None
    assert (await count(database, notified_events), await count(database, notifications)) == (1, 1)
    other = await SqlFollows(database).add(
        NewFollow(Target(display_id=42), Destination("C2"), created_by="U1"), now=NOW
    )
    assert await fold(SqlOutbox(database), other[0], "event:1") is not None  # once per follow


async def test_changes_within_the_window_fold_into_one_notification(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    first = await fold(outbox, follow, "e1", DROP, at=NOW)
    second = await fold(
        outbox, follow, "e2", Notice("health", "58", "50"), STATUS, at=NOW + 10, broadcast=True
    )
    third = await fold(outbox, follow, "e3", Notice("plan", "pro", "basic"), at=NOW + WINDOW)
    assert first is not None and second is not None and third is not None
    assert second.id == third.id == first.id
    assert third.notices == (Notice("health", "72", "50"), STATUS, Notice("plan", "pro", "basic"))
    assert (third.broadcast, third.first_at, third.status) == (True, NOW, "pending")
    later = await fold(outbox, follow, "e4", at=NOW + WINDOW + 0.5)
    other_customer = await fold(outbox, follow, "e5", at=NOW + 1, display_id=43)
    assert later is not None and other_customer is not None
    assert len({first.id, later.id, other_customer.id}) == 3
    assert (later.notices, later.first_at, later.broadcast) == ((DROP,), NOW + WINDOW + 0.5, False)


async def test_a_change_after_posting_marks_the_message_for_an_edit(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    await fold(outbox, follow, "e1")
    [claimed] = await outbox.claim(now=NOW, lease_seconds=LEASE, limit=10)
    await outbox.sent(claimed.id, ts="1700000000.000100", thread_ts=None, now=NOW + 1)
    assert await outbox.claim(now=NOW + 1, lease_seconds=LEASE, limit=10) == []
    folded = await fold(outbox, follow, "e2", STATUS, at=NOW + 5)
    assert folded is not None
    assert (folded.id, folded.status, folded.needs_update) == (claimed.id, "sent", True)
    [edit] = await outbox.claim(now=NOW + 5, lease_seconds=LEASE, limit=10)
    assert (edit.id, edit.ts, edit.needs_update, edit.attempts) == (
        claimed.id,
        "1700000000.000100",
        True,
        2,
    )
    assert edit.notices == (DROP, STATUS)
    await outbox.sent(edit.id, ts="1700000000.000100", thread_ts=None, now=NOW + 6)
    assert await outbox.claim(now=NOW + 600, lease_seconds=LEASE, limit=10) == []


async def test_a_change_folded_while_the_message_is_sent_is_edited_in(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    await fold(outbox, follow, "e1")
    [claimed] = await outbox.claim(now=NOW, lease_seconds=LEASE, limit=10)
    assert claimed.notices == (DROP,)
    await fold(outbox, follow, "e2", STATUS, at=NOW + 1)  # while Slack is being called
    await outbox.sent(claimed.id, ts="1.000100", thread_ts=None, now=NOW + 2)
    [edit] = await outbox.claim(now=NOW + 2, lease_seconds=LEASE, limit=10)
    assert (edit.id, edit.ts, edit.needs_update, edit.notices) == (
        claimed.id,
        "1.000100",
        True,
        (DROP, STATUS),
    )


async def test_a_claim_leases_the_row_until_the_lease_runs_out(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    folded = await fold(outbox, follow, "e1")
    assert folded is not None
    assert await outbox.claim(now=NOW - 1, lease_seconds=LEASE, limit=10) == []  # not due yet
    [claimed] = await outbox.claim(now=NOW, lease_seconds=LEASE, limit=10)
    assert claimed == Notification(
        id=folded.id,
        follow_id=follow.id,
        channel_id="C1",
        display_id=42,
        notices=(DROP,),
        status="sending",
        attempts=1,
        first_at=NOW,
        claimed_at=NOW,
    )
    assert await outbox.claim(now=NOW + LEASE - 0.5, lease_seconds=LEASE, limit=10) == []
    [again] = await outbox.claim(now=NOW + LEASE, lease_seconds=LEASE, limit=10)
    assert (again.id, again.attempts, again.claimed_at) == (folded.id, 2, NOW + LEASE)


async def test_claims_take_the_oldest_first_up_to_the_limit(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    for n in range(5):
        await fold(outbox, follow, f"e{n}", at=NOW + 100 - n, display_id=n)
    first = await outbox.claim(now=NOW + 100, lease_seconds=LEASE, limit=3)
    rest = await outbox.claim(now=NOW + 100, lease_seconds=LEASE, limit=10)
    assert [x.display_id for x in first] == [4, 3, 2]
    assert [x.display_id for x in rest] == [1, 0]


async def test_retry_waits_and_keeps_the_error_and_failed_is_never_claimed(
    database: Database,
) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    one = await fold(outbox, follow, "e1", display_id=1)
    two = await fold(outbox, follow, "e2", display_id=2)
    assert one is not None and two is not None
    await outbox.claim(now=NOW, lease_seconds=LEASE, limit=10)
    await outbox.retry(one.id, "ratelimited", at=NOW + 30)
    await outbox.failed(two.id, "channel_not_found")
    assert await outbox.claim(now=NOW + 29, lease_seconds=LEASE, limit=10) == []
    [retried] = await outbox.claim(now=NOW + 30, lease_seconds=LEASE, limit=10)
    assert (retried.id, retried.attempts) == (one.id, 2)
    await outbox.sent(one.id, ts="1.2", thread_ts=None, now=NOW + 31)
    await outbox.retry(one.id, "too late", at=NOW + 40)  # sent already: left as it is
    assert await outbox.claim(now=NOW + 10_000, lease_seconds=LEASE, limit=10) == []
    assert await outbox.stats(now=NOW + 50) == OutboxStats(
        by_status={"pending": 0, "sending": 0, "sent": 1, "failed": 1},
        oldest_pending_seconds=None,
        failed_by_reason={"channel_not_found": 1},
    )
    assert await fold(outbox, follow, "e3", display_id=2, at=NOW + 5) is not None
    assert await count(database, notifications) == 3  # a failed one is not folded into


async def test_rows_of_a_paused_follow_wait_until_it_is_resumed(database: Database) -> None:
    outbox = SqlOutbox(database)
    follows = SqlFollows(database)
    paused = await follow_of(database, channel="C1")
    active = await follow_of(database, channel="C2")
    await fold(outbox, paused, "e1")
    await fold(outbox, active, "e1")
    await follows.pause(paused.id, "channel_archived")
    claimed = await outbox.claim(now=NOW, lease_seconds=LEASE, limit=10)
    assert [x.follow_id for x in claimed] == [active.id]
    assert await follows.resume_channel("C1", reasons=("channel_archived",)) == 1
    claimed = await outbox.claim(now=NOW, lease_seconds=LEASE, limit=10)
    assert [x.follow_id for x in claimed] == [paused.id]


async def test_removing_a_follow_removes_what_it_still_owed(database: Database) -> None:
    outbox = SqlOutbox(database)
    gone = await follow_of(database, channel="C1")
    kept = await follow_of(database, channel="C2")
    for follow in (gone, kept):
        await fold(outbox, follow, "e1")
        assert await outbox.digest_add(follow, "2023-11-14", 42, "e1", (DROP,)) is True
        assert await outbox.digest_claim(follow.id, "2023-11-13") == []
    assert await SqlFollows(database).remove(gone.id) == gone
    for table in (notifications, notified_events, digest_items, digest_runs):
        assert await count(database, table) == 1
    assert await fold(outbox, gone, "e2") is None  # a gone follow owes nothing
    assert await outbox.digest_add(gone, "2023-11-14", 42, "e2", (DROP,)) is False
    assert await outbox.digest_claim(gone.id, "2023-11-14") is None


async def test_the_days_thread_is_its_first_posted_message(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    today, tomorrow = utc_day(NOW), utc_day(NOW + 7200)
    assert (today, tomorrow) == ("2023-11-14", "2023-11-15")
    assert await outbox.thread("C1", 42, today) is None
    parent = await fold(outbox, follow, "e1")
    reply = await fold(outbox, follow, "e2", at=NOW + 60)
    next_day = await fold(outbox, follow, "e3", at=NOW + 7200)
    assert parent is not None and reply is not None and next_day is not None
    assert await outbox.thread("C1", 42, today) is None  # not posted yet
    await outbox.claim(now=NOW + 7200, lease_seconds=LEASE, limit=10)
    await outbox.sent(reply.id, ts="2.0", thread_ts="1.0", now=NOW + 7201)
    assert await outbox.thread("C1", 42, today) is None  # a reply is no thread
    await outbox.sent(parent.id, ts="1.0", thread_ts=None, now=NOW + 7201)
    thread = await outbox.thread("C1", 42, today)
    assert thread is not None
    assert (thread.id, thread.ts, thread.thread_ts, thread.status) == (
        parent.id,
        "1.0",
        None,
        "sent",
    )
    assert await outbox.thread("C1", 42, tomorrow) is None
    assert await outbox.thread("C2", 42, today) is None
    assert await outbox.thread("C1", 43, today) is None


async def test_recent_count_and_snoozes(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    for n in range(3):
        await fold(outbox, follow, f"e{n}", at=NOW + n * 100)
    assert await outbox.recent_count(follow.id, since=NOW + 100) == 2
    assert await outbox.recent_count(follow.id + 1, since=NOW) == 0
    assert await outbox.snoozed("C1", 42, now=NOW) is False
    await outbox.snooze("C1", 42, until=NOW + 3600)
    assert await outbox.snoozed("C1", 42, now=NOW + 3599) is True
    assert await outbox.snoozed("C1", 43, now=NOW) is False
    assert await outbox.snoozed("C1", 42, now=NOW + 3600) is False
    await outbox.snooze("C1", 42, until=NOW + 60)  # snoozed again, for less
    assert await outbox.snoozed("C1", 42, now=NOW + 61) is False


async def test_a_days_digest_is_taken_once_per_customer(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    day = "2023-11-14"
    assert await outbox.digest_add(follow, day, 42, "e1", (DROP,)) is True
    assert await outbox.digest_add(follow, day, 42, "e1", (STATUS,)) is False
    assert await outbox.digest_add(follow, day, 7, "e2", (STATUS,)) is True
    assert await outbox.digest_add(follow, day, 42, "e3", (Notice("health", "58", "40"),)) is True
    assert await outbox.digest_add(follow, "2023-11-15", 42, "e4", (STATUS,)) is True
    assert await outbox.digest_claim(follow.id, day) == [
        (42, (Notice("health", "72", "40"),)),
        (7, (STATUS,)),
    ]
    assert await outbox.digest_claim(follow.id, day) is None
    assert await outbox.digest_claim(follow.id, "2023-11-16") == []


async def test_pace_spaces_a_channels_turns_and_a_hold_moves_them(database: Database) -> None:
    outbox = SqlOutbox(database)
    assert await outbox.pace("C1", now=NOW, gap_seconds=1.0) == 0.0
    assert await outbox.pace("C1", now=NOW, gap_seconds=1.0) == 1.0
    assert await outbox.pace("C1", now=NOW + 0.5, gap_seconds=1.0) == 1.5
    assert await outbox.pace("C2", now=NOW, gap_seconds=1.0) == 0.0
    assert await outbox.pace("C1", now=NOW + 10, gap_seconds=1.0) == 0.0
    await outbox.hold_channel("C1", until=NOW + 40)
    await outbox.hold_channel("C1", until=NOW + 20)  # an earlier hold does not shorten it
    assert await outbox.pace("C1", now=NOW + 11, gap_seconds=1.0) == 29.0
    assert await outbox.pace("C1", now=NOW + 11, gap_seconds=1.0) == 30.0
    await outbox.hold_channel("C3", until=NOW + 5)
    assert await outbox.pace("C3", now=NOW, gap_seconds=1.0) == 5.0


async def test_purge_keeps_what_is_still_owed(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    rows = [await fold(outbox, follow, f"e{n}", display_id=n) for n in range(4)]
    ids = [row.id for row in rows if row is not None]
    await outbox.claim(now=NOW, lease_seconds=LEASE, limit=3)  # 0, 1, 2 sending; 3 pending
    await outbox.sent(ids[0], ts="1.0", thread_ts=None, now=NOW + 1)
    await outbox.failed(ids[1], "channel_not_found")
    new = await fold(outbox, follow, "e9", at=NOW + 100)
    assert new is not None
    await outbox.claim(now=NOW + 100, lease_seconds=LEASE, limit=10)  # 3 and the new one
    await outbox.sent(new.id, ts="2.0", thread_ts=None, now=NOW + 101)
    await outbox.retry(ids[3], "ratelimited", at=NOW + 130)
    assert await outbox.purge(before=NOW + 50) == 2
    assert await outbox.purge(before=NOW + 50) == 0
    async with database.connect() as conn:
        kept = (await conn.execute(select(notifications.c.id, notifications.c.status))).all()
    assert sorted(kept) == [(ids[2], "sending"), (ids[3], "pending"), (new.id, "sent")]
    assert await count(database, notified_events) == 1  # keys of older changes forgotten


async def test_stats_count_by_status_and_age_the_oldest_pending(database: Database) -> None:
    outbox = SqlOutbox(database)
    follow = await follow_of(database)
    assert await outbox.stats(now=NOW) == OutboxStats(
        {"pending": 0, "sending": 0, "sent": 0, "failed": 0}, None, {}
    )
    for n in range(5):
        await fold(outbox, follow, f"e{n}", at=NOW + n, display_id=n)
    [a, b, _] = await outbox.claim(now=NOW + 10, lease_seconds=LEASE, limit=3)
    await outbox.failed(a.id, "is_archived")
    await outbox.failed(b.id, "is_archived")
    assert await outbox.stats(now=NOW + 20) == OutboxStats(
        {"pending": 2, "sending": 1, "sent": 0, "failed": 2}, 17.0, {"is_archived": 2}
    )


async def test_concurrent_folds_of_one_change_write_it_once(database_url: str) -> None:
    engines = [Database(database_url), Database(database_url)]
    try:
        follow = await follow_of(engines[0])
        outboxes = [SqlOutbox(db) for db in engines]
        results = await asyncio.gather(
            *(fold(outboxes[n % 2], follow, "event:1", at=NOW + n / 10) for n in range(8))
        )
        assert sum(result is not None for result in results) == 1
        assert await count(engines[0], notified_events) == 1
        assert await count(engines[0], notifications) == 1
    finally:
        for db in engines:
            await db.aclose()


async def test_concurrent_folds_of_one_follow_share_the_windows_row(database_url: str) -> None:
    engines = [Database(database_url), Database(database_url)]
    try:
        follow = await follow_of(engines[0])
        outboxes = [SqlOutbox(db) for db in engines]
        results = await asyncio.gather(
            *(
                fold(outboxes[n % 2], follow, f"event:{n}", Notice(f"k{n}", None, "x"))
                for n in range(8)
            )
        )
        assert {result.id for result in results if result is not None} == {1}
        [row] = await outboxes[0].claim(now=NOW, lease_seconds=LEASE, limit=10)
        assert sorted(notice.kind for notice in row.notices) == [f"k{n}" for n in range(8)]
    finally:
        for db in engines:
            await db.aclose()


async def test_concurrent_claimers_on_two_engines_never_share_a_row(database_url: str) -> None:
    rows = 300
    engines = [Database(database_url), Database(database_url)]
    try:
        follow = await follow_of(engines[0])
        outboxes = [SqlOutbox(db) for db in engines]
        for n in range(rows):
            await fold(outboxes[0], follow, f"e{n}", display_id=n)

        async def claimer(outbox: SqlOutbox) -> list[int]:
            taken: list[int] = []
            while batch := await outbox.claim(now=NOW, lease_seconds=LEASE, limit=7):
                taken += [notification.id for notification in batch]
            return taken

        results = await asyncio.gather(*(claimer(outboxes[n % 2]) for n in range(8)))
    finally:
        for db in engines:
            await db.aclose()
    claimed = [notification_id for taken in results for notification_id in taken]
    assert sorted(claimed) == list(range(1, rows + 1))  # every row, each exactly once
    assert sum(1 for taken in results if taken) > 1  # the claimers really did overlap


async def test_digests_owed_are_the_kept_days_no_claim_took(database: Database) -> None:
    outbox = SqlOutbox(database)
    first = await follow_of(database)
    second = await follow_of(database, display_id=7, channel="C2")
    await outbox.digest_add(first, "2023-11-14", 42, "e1", (DROP,))
    await outbox.digest_add(first, "2023-11-14", 43, "e2", (DROP,))
    await outbox.digest_add(first, "2023-11-14T22", 42, "e3", (STATUS,))
    await outbox.digest_add(second, "2023-11-13", 7, "e4", (STATUS,))
    assert await outbox.digests_owed() == [
        (second.id, "2023-11-13"),
        (first.id, "2023-11-14"),
        (first.id, "2023-11-14T22"),
    ]
    await outbox.digest_claim(first.id, "2023-11-14")
    assert await outbox.digests_owed() == [(second.id, "2023-11-13"), (first.id, "2023-11-14T22")]


async def test_snoozes_and_recent_counts_for_many_at_once(database: Database) -> None:
    outbox = SqlOutbox(database)
    first = await follow_of(database)
    second = await follow_of(database, channel="C2")
    await fold(outbox, first, "e1", at=NOW)
    await fold(outbox, first, "e2", at=NOW + 100)
    await fold(outbox, second, "e3", at=NOW - 100)
    assert await outbox.recent_counts([first.id, second.id, 999], since=NOW) == {first.id: 2}
    assert await outbox.recent_counts([], since=NOW) == {}
    await outbox.snooze("C1", 42, until=NOW + 60)
    await outbox.snooze("C2", 42, until=NOW - 1)
    await outbox.snooze("C3", 7, until=NOW + 60)
    assert await outbox.snoozed_in(42, now=NOW) == frozenset({"C1"})
