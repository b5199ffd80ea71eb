"""SqlSignals' contract on SQLite and PostgreSQL: the signal book and the health history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.lookup.signals import KeptSignals, SignalStore
from bot.pivotal.models import Signals
from bot.store.database import Database
from bot.store.schema import customer_signals
from bot.store.signals import SqlSignals

T0 = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def kept(display_id: int, minutes: int, **signals: object) -> KeptSignals:
    told = Signals.model_validate(signals) if signals else None
    return KeptSignals(display_id, told, T0 + timedelta(minutes=minutes))


async def test_what_is_saved_is_loaded_back_exactly(database: Database) -> None:
    store: SignalStore = SqlSignals(database)
    full = kept(42, 0, health_score=81, previous_health_score=90, owner_email="ana@acme.io",
                at_risk=True, churned=False)  # fmt: skip
    bare = kept(7, -1)
    await store.save(full)
    await store.save(bare)
    assert await store.load(limit=10) == [full, bare]
    (loaded, _) = await store.load(limit=10)
    assert loaded.last_event_at.tzinfo is not None
    assert loaded.last_event_at.microsecond == 123456


async def test_a_naive_event_time_is_taken_as_utc(database: Database) -> None:
    store = SqlSignals(database)
    await store.save(KeptSignals(1, None, datetime(2025, 3, 1, 9, 0)))
    [loaded] = await store.load(limit=1)
    assert loaded.last_event_at == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


async def test_saving_again_replaces_what_was_kept(database: Database) -> None:
    store = SqlSignals(database)
    await store.save(kept(42, 0, health_score=81, owner_email="ana@acme.io"))
    await store.save(kept(42, 5, health_score=60))
    assert await store.load(limit=10) == [kept(42, 5, health_score=60)]


async def test_load_gives_the_most_recently_told_first_up_to_the_limit(database: Database) -> None:
    store = SqlSignals(database)
    for display_id, minutes in [(1, 3), (2, 9), (3, 1), (4, 7), (5, 5)]:
        await store.save(kept(display_id, minutes, at_risk=True))
    assert [k.display_id for k in await store.load(limit=3)] == [2, 4, 5]
    assert [k.display_id for k in await store.load(limit=10)] == [2, 4, 5, 1, 3]


async def test_each_health_score_is_kept_once_per_event_time(database: Database) -> None:
    store = SqlSignals(database)
    await store.save(kept(42, 0, health_score=81))
    await store.save(kept(42, 0, health_score=81))  # the same event, replayed
    await store.save(kept(42, 10, owner_email="ana@acme.io"))  # no health in this one
    await store.save(kept(42, 20, health_score=64))
    await store.save(kept(99, 15, health_score=12))  # another customer
    history = await store.health_history(42, since=T0 - timedelta(days=1))
    assert history == [(T0, 81), (T0 + timedelta(minutes=20), 64)]
    assert await store.health_history(42, since=T0 + timedelta(minutes=1)) == [
        (T0 + timedelta(minutes=20), 64)
    ]
    assert await store.health_history(42, since=T0) == history  # `since` is inclusive
    assert await store.health_history(7, since=T0) == []


async def test_a_kept_row_the_model_no_longer_accepts_loads_without_signals(
    database: Database,
) -> None:
    store = SqlSignals(database)
    await store.save(kept(42, 0, health_score=81))
    async with database.begin() as conn:
        await conn.execute(update(customer_signals).values(signals='{"health_score": 500}'))
    assert await store.load(limit=10) == [KeptSignals(42, None, T0)]


async def test_health_peaks_count_the_window_and_the_score_in_effect_when_it_opened(
    database: Database,
) -> None:
    store = SqlSignals(database)
    # Customer 1: 90 a day before the window, then 70 and 55 inside it -> peak 90.
    for minutes, score in [(-1440, 90), (60, 70), (120, 55)]:
        await store.save(kept(1, minutes, health_score=score))
    # Customer 2: 40 long ago, 30 just before the window, 50 inside it -> peak 50.
    for minutes, score in [(-9000, 40), (-5, 30), (30, 50)]:
        await store.save(kept(2, minutes, health_score=score))
    # Customer 3: only before the window -> the last score then (20), not the older 99.
    for minutes, score in [(-3000, 99), (-2000, 20)]:
        await store.save(kept(3, minutes, health_score=score))
    # Customer 4: signals without a health score are no history at all.
    await store.save(kept(4, 10, owner_email="x@acme.io"))
    assert await store.health_peaks(since=T0) == {1: 90, 2: 50, 3: 20}
    assert await store.health_peaks(since=T0 + timedelta(minutes=100)) == {1: 70, 2: 50, 3: 20}
