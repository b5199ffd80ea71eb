"""Lists over the directory: one index per version of the list and its signals, built off
the loop; peek answers only from a current one; "needs attention" from kept health."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from bot.lookup.directory import Directory, Snapshot
from bot.lookup.durable import StoreUnavailable
from bot.lookup.filters import Filter, parse_filter
from bot.lookup.lists import Lists
from bot.lookup.signals import KeptSignals, SignalBook
from bot.pivotal.client import PivotalClient
from bot.pivotal.models import Signals
from tests.unit.customers import make_customer

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def directory(*customers: tuple[int, str, str]) -> Directory:
    client = PivotalClient("http://127.0.0.1:1", SecretStr("pivotal_x"))
    found = Directory(client, refresh_seconds=600, now=lambda: NOW)
    found.load(make_customer(n, name, status=status, mrr=n * 100) for n, name, status in customers)
    return found


def flt(text: str) -> Filter:
    parsed = parse_filter(text)
    assert isinstance(parsed, Filter)
    return parsed


class Peaks:
    """A SignalStore's health_peaks only (what Lists reads of the durable tier)."""

    def __init__(self, peaks: dict[int, int] | None = None, *, away: bool = False):
        self.peaks, self.away, self.asked = peaks or {}, away, 0

    async def health_peaks(self, *, since: datetime) -> dict[int, int]:
        self.asked += 1
        if self.away:
            raise StoreUnavailable("database away")
        return dict(self.peaks)

    async def load(self, *, limit: int) -> list[KeptSignals]:
        return []

    async def save(self, kept: KeptSignals) -> None:
        return None

    async def health_history(
        self, display_id: int, *, since: datetime
    ) -> list[tuple[datetime, int]]:
        return []


async def test_peek_answers_only_from_an_index_of_the_current_list() -> None:
    found = directory((1, "Acme", "active"), (2, "Globex", "at_risk"))
    lists = Lists(found, SignalBook(), now=lambda: NOW)
    assert lists.peek(flt("status:at_risk"), me=None) is None  # nothing built yet: a build starts
    at_risk = await lists.portfolio(flt("status:at_risk"), me=None)
    assert at_risk.count == 1
    peeked = lists.peek(flt("status:at_risk"), me=None)
    assert peeked is not None and peeked.count == 1
    assert lists.builds == 1
    # A webhook moves Acme to at risk: the index is no longer current.
    changed = make_customer(1, "Acme", status="at_risk", mrr=100, updated_at="2026-05-01T00:00:00Z")
    found.upsert(Snapshot(changed, 0.0, NOW))
    assert lists.peek(flt("status:at_risk"), me=None) is None
    assert (await lists.portfolio(flt("status:at_risk"), me=None)).count == 2
    assert lists.builds == 2


async def test_new_signals_make_the_index_stale_too() -> None:
    found = directory((1, "Acme", "active"), (2, "Globex", "active"))
    signals = SignalBook()
    lists = Lists(found, signals, now=lambda: NOW)
    assert (await lists.portfolio(flt("health<50"), me=None)).count == 0
    signals.record(2, NOW, Signals(health_score=30, owner_email="ann@example.com"))
    assert lists.peek(flt("health<50"), me=None) is None
    assert (await lists.portfolio(flt("health<50"), me=None)).count == 1
    mine = await lists.portfolio(flt("mine"), me="Ann@Example.com")
    assert [row.customer.display_id for row in mine.page(1).rows] == [2]


async def test_concurrent_questions_share_one_build() -> None:
    found = directory(*((n, f"Customer {n}", "active") for n in range(1, 200)))
    lists = Lists(found, SignalBook(), now=lambda: NOW)
    answers = await asyncio.gather(*(lists.portfolio(flt("mrr>100"), me=None) for _ in range(5)))
    assert {a.count for a in answers} == {99}  # MRR is n dollars: 101…199
    assert lists.builds == 1


async def test_needs_attention_is_at_risk_or_down_ten_points_this_week() -> None:
    found = directory((1, "Acme", "active"), (2, "Globex", "at_risk"), (3, "Initech", "active"),
                      (4, "Umbrella", "active"), (5, "Hooli", "active"))  # fmt: skip
    signals = SignalBook()
    recent, old = NOW - timedelta(days=1), NOW - timedelta(days=30)
    signals.record(1, recent, Signals(health_score=60))  # kept peak 75: down 15
    signals.record(3, recent, Signals(health_score=60))  # kept peak 65: down 5 only
    signals.record(4, recent, Signals(health_score=40, previous_health_score=70))  # this week
    signals.record(5, old, Signals(health_score=40, previous_health_score=70))  # a month ago
    lists = Lists(found, signals, now=lambda: NOW, kept=Peaks({1: 75, 3: 65}))
    attention = await lists.attention()
    rows = attention.page(1).rows
    assert [row.customer.display_id for row in rows] == [4, 1, 2]  # lowest health first
    assert attention.count == 3


async def test_needs_attention_without_the_database_still_lists_at_risk() -> None:
    found = directory((1, "Acme", "active"), (2, "Globex", "at_risk"))
    signals = SignalBook()
    signals.record(1, NOW, Signals(health_score=50))
    peaks = Peaks({1: 90}, away=True)
    lists = Lists(found, signals, now=lambda: NOW, kept=peaks)
    assert [r.customer.display_id for r in (await lists.attention()).page(1).rows] == [2]


async def test_health_peaks_are_reused_for_a_minute() -> None:
    found = directory((1, "Acme", "active"))
    ticks = [0.0]
    peaks = Peaks({1: 90})
    lists = Lists(found, SignalBook(), now=lambda: NOW, clock=lambda: ticks[0], kept=peaks)
    await lists.attention()
    await lists.attention()
    assert peaks.asked == 1
    ticks[0] = 61.0
    await lists.attention()
    assert peaks.asked == 2
