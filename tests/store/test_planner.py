"""The planner over the SQL follow store and outbox (SQLite and PostgreSQL): which change
becomes which notification, once, for which follow."""

from __future__ import annotations

from typing import Any

from bot.follows.model import Destination, Follow, NewFollow, Notice, Notification, Target
from bot.follows.planner import NOISY_LIMIT, Planner
from bot.lookup.changed import CustomerChanged
from bot.lookup.durable import StoreUnavailable
from bot.pivotal.models import Customer, Signals
from bot.store.database import Database
from bot.store.follows import SqlFollows
from bot.store.outbox import SqlOutbox
from tests.unit.customers import make_customer

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def acme(**fields: Any) -> Customer:
    base: dict[str, Any] = {"status": "active", "plan": "growth", "mrr": 120_000}
    return make_customer(42, "Acme", **{**base, **fields})


def change(before: Customer | None, after: Customer | None, event_id: str | None = "e1",
           signals_before: Signals | None = None, signals_after: Signals | None = None,
           cause: str = "webhook") -> CustomerChanged:  # fmt: skip
    return CustomerChanged(42, before, after, signals_before, signals_after,
                           cause, event_id)  # type: ignore[arg-type]  # fmt: skip


async def follow(database: Database, target: Target, channel: str = "C1", **fields: Any) -> Follow:
    made, _ = await SqlFollows(database).add(
        NewFollow(target, Destination(channel), created_by="U1", **fields), now=NOW - 60
    )
    return made


async def owed(database: Database) -> list[Notification]:
    return await SqlOutbox(database).claim(now=NOW + 10**6, lease_seconds=60, limit=1000)


def planner(database: Database, clock: Clock | None = None) -> Planner:
    return Planner(SqlFollows(database), SqlOutbox(database), clock=clock or Clock())


async def test_a_status_change_is_one_notification_once_whatever_repeats_it(
    database: Database,
) -> None:
    followed = await follow(database, Target(display_id=42))
    plan = planner(database)
    went = change(acme(), acme(status="at_risk"))
    assert await plan.plan(went) == 1
    await plan.plan(went)  # the redelivered webhook
    await planner(database).plan(went)  # another replica, or after a restart
    [notification] = await owed(database)
    assert notification.follow_id == followed.id
    assert notification.notices == (Notice("status", "active", "at_risk"),)
    assert notification.broadcast is True


async def test_kinds_a_follow_does_not_hear_say_nothing(database: Database) -> None:
    await follow(database, Target(display_id=42), kinds=frozenset({"status"}))
    assert await planner(database).plan(change(acme(), acme(plan="enterprise"))) == 0
    assert await owed(database) == []


async def test_changes_within_the_window_fold_into_one(database: Database) -> None:
    await follow(database, Target(display_id=42))
    clock = Clock()
    plan = planner(database, clock)
    await plan.plan(change(acme(), acme(plan="enterprise"), "e1"))
    clock.now += 10
    await plan.plan(change(acme(plan="enterprise"), acme(plan="enterprise", mrr=150_000), "e2"))
    [notification] = await owed(database)
    assert [n.kind for n in notification.notices] == ["plan", "mrr"]
    assert notification.broadcast is False


async def test_segment_enter_member_changes_and_leave(database: Database) -> None:
    segment = await follow(database, Target(segment="status:at_risk"), channel="C2")
    await follow(database, Target(segment="plan:enterprise"), channel="C3")  # never concerned
    clock = Clock()
    plan = planner(database, clock)
    await plan.plan(change(acme(), acme(status="at_risk"), "e1"))
    clock.now += 100
    await plan.plan(change(acme(status="at_risk"), acme(status="at_risk", mrr=1), "e2"))
    clock.now += 100
    await plan.plan(change(acme(status="at_risk", mrr=1), acme(status="churned", mrr=1), "e3"))
    rows = await owed(database)
    assert {row.channel_id for row in rows} == {"C2"}
    assert [row.notices for row in rows] == [
        (Notice("segment", None, "status:at_risk"), Notice("status", "active", "at_risk")),
        (Notice("mrr", "120000", "1"),),
        (Notice("segment", "status:at_risk", None), Notice("status", "at_risk", "churned")),
    ]
    assert all(row.follow_id == segment.id for row in rows)


async def test_a_new_customer_created_in_a_segment_enters_it(database: Database) -> None:
    await follow(database, Target(segment="plan:growth"))
    await planner(database).plan(change(None, acme()))
    [row] = await owed(database)
    assert row.notices == (
        Notice("segment", None, "plan:growth"),
        Notice("created", None, "active"),
    )


async def test_health_drops_with_a_baseline(database: Database) -> None:
    await follow(database, Target(display_id=42))
    clock = Clock()
    plan = planner(database, clock)
    scores = [(None, 80), (80, 74), (74, 69), (69, 71), (71, 62), (62, 60)]
    for n, (old, new) in enumerate(scores):
        clock.now += 100
        before = Signals(health_score=old) if old is not None else None
        await plan.plan(change(acme(), acme(), f"h{n}", before, Signals(health_score=new)))
    rows = await owed(database)
    # Baseline 80: 74 is not 10 below it, 69 is (told). The baseline is then the highest
    # since, 71: 62 is only 9 below it (quiet), 60 is 11 below (told).
    assert [row.notices for row in rows] == [
        (Notice("health", "80", "69"),),
        (Notice("health", "71", "60"),),
    ]


async def test_snoozed_and_own_writes_stay_quiet(database: Database) -> None:
    await follow(database, Target(display_id=42), channel="C1")
    await follow(database, Target(display_id=42), channel="C2")
    await follow(database, Target(display_id=42), channel="C3")
    await SqlOutbox(database).snooze("C1", 42, until=NOW + 3600)
    await SqlFollows(database).wrote(42, "C2", until=NOW + 60)
    await planner(database).plan(change(acme(), acme(status="at_risk")))
    assert [row.channel_id for row in await owed(database)] == ["C3"]


async def test_a_daily_follow_gets_digest_lines_not_messages(database: Database) -> None:
    daily = await follow(database, Target(display_id=42), digest=True, timezone="Asia/Tokyo")
    await planner(database).plan(change(acme(), acme(status="at_risk")))
    assert await owed(database) == []
    # 22:13 UTC is the next morning in Tokyo.
    assert await SqlOutbox(database).digest_claim(daily.id, "2023-11-15") == [
        (42, (Notice("status", "active", "at_risk"),))
    ]


async def test_a_noisy_follow_goes_quiet_for_the_hour_and_says_so_once(database: Database) -> None:
    noisy = await follow(database, Target(display_id=42))
    clock = Clock()
    plan = planner(database, clock)
    for n in range(NOISY_LIMIT + 5):
        clock.now += 31  # past the fold window: each change would be a message of its own
        await plan.plan(change(acme(mrr=n), acme(mrr=n + 1), f"e{n}"))
    rows = await owed(database)
    assert len(rows) == NOISY_LIMIT + 1  # the limit, and one "the rest comes as a digest"
    assert rows[-1].notices == (Notice("quiet", None, str(NOISY_LIMIT)),)
    hour = "2023-11-14T22"
    digest = await SqlOutbox(database).digest_claim(noisy.id, hour)
    assert digest is not None and len(digest) == 1  # one customer, its changes folded


async def test_a_paused_follow_is_not_owed_anything(database: Database) -> None:
    followed = await follow(database, Target(display_id=42))
    await SqlFollows(database).pause(followed.id, "channel archived")
    assert await planner(database).plan(change(acme(), acme(status="at_risk"))) == 0


async def test_with_the_database_away_the_change_waits_and_is_planned_later(
    database: Database,
) -> None:
    await follow(database, Target(display_id=42))
    plan = planner(database)
    real = plan._follows.of_customer  # type: ignore[attr-defined]
    calls = {"n": 0}

    async def away(display_id: int) -> list[Follow]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StoreUnavailable("away")
        return await real(display_id)

    plan._follows.of_customer = away  # type: ignore[attr-defined]
    await plan(change(acme(), acme(status="at_risk")))  # never raises
    assert await owed(database) == []
    # What run() does each round:
    assert len(plan._waiting) == 1  # type: ignore[attr-defined]
    await plan.plan(plan._waiting.popleft())  # type: ignore[attr-defined]
    assert len(await owed(database)) == 1
