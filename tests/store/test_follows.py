"""SqlFollows' contract on SQLite and PostgreSQL: keep, find, pause, resume, remove, count."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import select

from bot.follows.model import Destination, Follow, NewFollow, Target
from bot.follows.store import FollowStore
from bot.store.database import Database
from bot.store.follows import SqlFollows
from bot.store.schema import follows as follows_table

NOW = 1_700_000_000.0


def new(
    display_id: int | None = 42,
    channel: str = "C1",
    *,
    segment: str | None = None,
    user: str | None = None,
    team: str | None = "T1",
    **changes: object,
) -> NewFollow:
    target = Target(segment=segment) if segment else Target(display_id=display_id)
    follow = NewFollow(target, Destination(channel, user), created_by="U1", team_id=team)
    return dataclasses.replace(follow, **changes)  # type: ignore[arg-type]


async def test_a_new_follow_is_kept_with_everything_it_was_asked_for(database: Database) -> None:
    store: FollowStore = SqlFollows(database)
    asked = new(
        7,
        "D9",
        user="U9",
        kinds=frozenset({"status", "health"}),
        digest=True,
        digest_hour=17,
        timezone="Europe/Paris",
    )
    follow, created = await store.add(asked, now=NOW)
    assert created is True
    assert follow == Follow(
        target=Target(display_id=7),
        destination=Destination("D9", "U9"),
        created_by="U1",
        kinds=frozenset({"status", "health"}),
        digest=True,
        digest_hour=17,
        timezone="Europe/Paris",
        team_id="T1",
        id=1,
        created_at=NOW,
    )
    assert await store.get(1) == follow
    assert await store.find("customer:7", "D9") == follow
    assert await store.find("customer:7", "C1") is None
    assert await store.get(2) is None
    async with database.connect() as conn:
        kinds = (await conn.execute(select(follows_table.c.kinds))).scalar_one()
    assert kinds == "health,status"  # sorted comma text


async def test_adding_the_same_follow_again_updates_and_resumes_the_kept_one(
    database: Database,
) -> None:
    store = SqlFollows(database)
    first, _ = await store.add(new(42, "C1"), now=NOW)
    assert await store.pause(first.id, "channel_archived") is True
    again, created = await store.add(
        new(42, "C1", kinds=frozenset({"plan"}), digest=True, created_by="U2"), now=NOW + 60
    )
    assert created is False
    assert again == dataclasses.replace(first, kinds=frozenset({"plan"}), digest=True)
    assert again.created_at == NOW and again.created_by == "U1" and again.active
    other, created = await store.add(new(42, "C2"), now=NOW + 60)
    assert created is True and other.id > first.id  # PostgreSQL may skip the id the update drew


async def test_concurrent_adds_of_one_follow_keep_one_row(database_url: str) -> None:
    engines = [Database(database_url), Database(database_url)]
    try:
        stores = [SqlFollows(db) for db in engines]
        results = await asyncio.gather(
            *(stores[n % 2].add(new(42, "C1"), now=NOW + n) for n in range(8))
        )
    finally:
        for db in engines:
            await db.aclose()
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    # One row: every add answers with it. Its id need not be 1 on PostgreSQL, where an
    # insert that lost the race has already drawn a value from the sequence.
    (created_follow,) = [follow for follow, created in results if created]
    assert {follow.id for follow, _ in results} == {created_follow.id}


async def test_customer_and_segment_follows_are_found_when_active_oldest_first(
    database: Database,
) -> None:
    store = SqlFollows(database)
    c2, _ = await store.add(new(42, "C2"), now=NOW + 2)
    c1, _ = await store.add(new(42, "C1"), now=NOW + 1)
    paused, _ = await store.add(new(42, "C3"), now=NOW)
    await store.add(new(43, "C1"), now=NOW)
    seg, _ = await store.add(new(None, "C1", segment="plan:enterprise"), now=NOW + 3)
    seg_paused, _ = await store.add(new(None, "C2", segment="status:at_risk"), now=NOW)
    await store.pause(paused.id, "bot_removed")
    await store.pause(seg_paused.id, "bot_removed")
    assert [f.id for f in await store.of_customer(42)] == [c1.id, c2.id]
    assert await store.of_customer(44) == []
    assert await store.of_segments() == [seg]
    assert seg.target == Target(segment="plan:enterprise")


async def test_a_channel_and_a_person_list_every_follow_paused_too(database: Database) -> None:
    store = SqlFollows(database)
    a, _ = await store.add(new(1, "C1"), now=NOW + 1)
    b, _ = await store.add(new(2, "C1"), now=NOW)
    mine, _ = await store.add(new(3, "D1", user="U7"), now=NOW)
    await store.pause(a.id, "channel_archived")
    assert [f.id for f in await store.in_channel("C1")] == [b.id, a.id]
    assert (await store.in_channel("C1"))[1].paused_reason == "channel_archived"
    assert await store.of_user("U7") == [mine]
    assert await store.of_user("U8") == []


async def test_pause_is_true_once_and_the_channel_pauses_and_resumes_by_reason(
    database: Database,
) -> None:
    store = SqlFollows(database)
    a, _ = await store.add(new(1, "C1"), now=NOW)
    b, _ = await store.add(new(2, "C1"), now=NOW + 1)
    c, _ = await store.add(new(3, "C1"), now=NOW + 2)
    other, _ = await store.add(new(1, "C2"), now=NOW)
    assert await store.pause(a.id, "channel_not_found") is True
    assert await store.pause(a.id, "is_archived") is False
    assert await store.pause(999, "is_archived") is False
    paused = await store.pause_channel("C1", "channel_archived")
    assert [(f.id, f.paused_reason) for f in paused] == [
        (b.id, "channel_archived"),
        (c.id, "channel_archived"),
    ]
    assert await store.pause_channel("C1", "channel_archived") == []
    assert await store.resume_channel("C1", reasons=("channel_archived", "bot_removed")) == 2
    assert await store.resume_channel("C1", reasons=()) == 0
    kept = {f.id: f.paused_reason for f in await store.in_channel("C1")}
    assert kept == {a.id: "channel_not_found", b.id: None, c.id: None}
    assert (await store.get(other.id)) == other


async def test_remove_one_a_channel_or_a_workspace(database: Database) -> None:
    store = SqlFollows(database)
    a, _ = await store.add(new(1, "C1"), now=NOW)
    await store.add(new(2, "C1"), now=NOW)
    await store.add(new(1, "C2", team="T2"), now=NOW)
    await store.add(new(2, "C2", team="T2"), now=NOW)
    await store.add(new(1, "C3", team=None), now=NOW)
    await store.add(new(1, "C4"), now=NOW)
    assert await store.remove(a.id) == a
    assert await store.remove(a.id) is None
    assert await store.remove_channel("C1") == 1
    assert await store.remove_team("T2") == 2
    assert await store.remove_team(None) == 1
    assert [f.destination.channel_id for f in await store.of_customer(1)] == ["C4"]


async def test_noted_keeps_the_last_send_or_the_last_error(database: Database) -> None:
    store = SqlFollows(database)
    follow, _ = await store.add(new(), now=NOW)
    await store.noted(follow.id, at=NOW + 5)
    await store.noted(follow.id, at=NOW + 9, error="not_in_channel")
    kept = await store.get(follow.id)
    assert kept is not None
    assert (kept.last_notified_at, kept.last_error) == (NOW + 5, "not_in_channel")
    await store.noted(follow.id, at=NOW + 20)
    kept = await store.get(follow.id)
    assert kept is not None
    assert (kept.last_notified_at, kept.last_error) == (NOW + 20, None)


async def test_counts_by_kind(database: Database) -> None:
    store = SqlFollows(database)
    assert await store.counts() == dict.fromkeys(
        ("customer", "segment", "personal", "digest", "paused"), 0
    )
    await store.add(new(1, "C1"), now=NOW)
    await store.add(new(2, "D1", user="U1", digest=True), now=NOW)
    seg, _ = await store.add(new(None, "C1", segment="plan:pro", digest=True), now=NOW)
    await store.pause(seg.id, "bot_removed")
    assert await store.counts() == {
        "customer": 2,
        "segment": 1,
        "personal": 1,
        "digest": 2,
        "paused": 1,
    }


async def test_health_baselines_are_kept_per_customer(database: Database) -> None:
    store = SqlFollows(database)
    assert await store.health_baseline(42) is None
    await store.set_health_baseline(42, 72)
    await store.set_health_baseline(43, 90)
    await store.set_health_baseline(42, 58)
    assert (await store.health_baseline(42), await store.health_baseline(43)) == (58, 90)


async def test_own_writes_stay_fresh_until_their_time(database: Database) -> None:
    store = SqlFollows(database)
    assert await store.written_by(42, now=NOW) == frozenset()
    await store.wrote(42, "C1", until=NOW + 10)
    await store.wrote(42, "C2", until=NOW + 20)
    await store.wrote(43, "C3", until=NOW + 20)
    assert await store.written_by(42, now=NOW) == {"C1", "C2"}
    assert await store.written_by(42, now=NOW + 10) == {"C2"}
    await store.wrote(42, "C1", until=NOW + 30)  # written again
    assert await store.written_by(42, now=NOW + 25) == {"C1"}


async def test_digests_are_the_active_daily_follows(database: Database) -> None:
    store = SqlFollows(database)
    await store.add(new(1, "C1"), now=NOW)
    daily, _ = await store.add(new(2, "D1", user="U1", digest=True), now=NOW)
    paused, _ = await store.add(new(None, "C1", segment="plan:pro", digest=True), now=NOW)
    await store.pause(paused.id, "bot_removed")
    assert [f.id for f in await store.digests()] == [daily.id]


async def test_resume_one_follow_and_find_paused_ones_by_reason(database: Database) -> None:
    store = SqlFollows(database)
    one, _ = await store.add(new(1, "C1"), now=NOW)
    two, _ = await store.add(new(None, "C1", segment="plan:pro"), now=NOW + 1)
    three, _ = await store.add(new(3, "C2"), now=NOW + 2)
    assert await store.resume(one.id) is False  # it was not paused
    await store.pause(two.id, "snoozed until 2026-12-06 14:00 UTC")
    await store.pause(three.id, "channel archived")
    await store.pause(one.id, "snoozed_until")  # an underscore is not a wildcard
    assert [f.id for f in await store.paused("snoozed until ")] == [two.id]
    assert await store.resume(two.id) is True
    assert await store.resume(two.id) is False
    assert (await store.get(two.id)).paused_reason is None  # type: ignore[union-attr]
    assert await store.paused("snoozed until ") == []
    assert await store.resume(999) is False


async def test_follows_a_person_created_wherever_they_notify(database: Database) -> None:
    store = SqlFollows(database)
    first, _ = await store.add(new(1, "C1"), now=NOW)
    await store.add(dataclasses.replace(new(2, "C1"), created_by="U2"), now=NOW + 1)
    mine, _ = await store.add(new(3, "D1", user="U1"), now=NOW + 2)
    assert [f.id for f in await store.created_by("U1")] == [first.id, mine.id]
    assert await store.created_by("U9") == []
