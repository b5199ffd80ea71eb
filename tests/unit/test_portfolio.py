"""Evaluating filters over a hand-built portfolio: each field, sorts, pages, totals, suggestions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.lookup.directory import Snapshot
from bot.lookup.filters import Filter, parse_filter
from bot.lookup.portfolio import SPARSE, Portfolio, PortfolioIndex, evaluate, nearest
from bot.lookup.search import fold
from bot.pivotal.models import Customer, Signals
from bot.sandbox.pivotal.data import generate_customers
from tests.unit.customers import make_customer

NOW = datetime(2026, 5, 1, tzinfo=UTC)
ANN = "ann@example.com"


def customer(n: int, name: str, status: str, plan: str | None, mrr: int | None, orders: int | None,
             created: str, updated: str, **fields: Any) -> Customer:  # fmt: skip
    return make_customer(n, name, status=status, plan=plan, mrr=mrr, monthly_orders=orders,
                         created_at=created, updated_at=updated, **fields)  # fmt: skip


CUSTOMERS = [
    customer(1, "Acme Co", "active", "enterprise", 500_000, 320, "2024-01-10T09:00:00Z",
             "2026-04-28T10:00:00Z", slack_channel_id="C0000001", slug="acme-co",
             domain="acme.com"),
    customer(2, "Globex", "at_risk", "growth", 150_000, 75, "2025-06-01T00:00:00Z",
             "2026-03-01T00:00:00Z"),
    customer(3, "Initech", "at_risk", "Enterprise", 250_000, 10, "2026-02-01T00:00:00Z",
             "2026-04-30T12:00:00Z", slack_channel_id="C0000003"),
    customer(4, "Umbrella", "churned", "starter", 0, None, "2023-01-01T00:00:00Z",
             "2025-01-01T00:00:00Z"),
    customer(5, "Hooli", "archived", None, None, 0, "2022-05-05T00:00:00Z",
             "2024-06-01T00:00:00Z"),
    customer(6, "Café Müller", "active", "Scale (annual)", 99_999, 1200, "2026-01-01T00:00:00Z",
             "2026-04-25T00:00:00Z", slug="cafe-muller", domain="cafemuller.de"),
    customer(7, "Acme Labs", "onboarding", "growth", 150_000, 5, "2026-04-01T00:00:00Z",
             "2026-04-29T00:00:00Z", domain="acmelabs.io"),
]  # fmt: skip
SIGNALS = {
    1: Signals(health_score=82, owner_email=ANN),
    2: Signals(health_score=35, owner_email="bo@example.com"),
    3: Signals(health_score=48, owner_email=ANN),
    5: Signals(health_score=60),
    6: Signals(health_score=90, owner_email=ANN),
}
SNAPS = [Snapshot(c, 0.0, NOW) for c in CUSTOMERS]
INDEX = PortfolioIndex(SNAPS, signals=SIGNALS.get)
ALL_BY_MRR = ["Acme Co", "Initech", "Acme Labs", "Globex", "Café Müller", "Umbrella", "Hooli"]


def run(text: str, *, me: str | None = ANN) -> Portfolio:
    parsed = parse_filter(text)
    assert isinstance(parsed, Filter), parsed
    return INDEX.evaluate(parsed, me=me, now=NOW)


def names(found: Portfolio) -> list[str]:
    return [row.customer.name for row in found.rows()]


SELECTS: list[tuple[str, list[str]]] = [
    ("", ALL_BY_MRR),
    ("status:at_risk", ["Initech", "Globex"]),
    ('status:"at risk"', ["Initech", "Globex"]),
    ("status:active,at-risk", ["Acme Co", "Initech", "Globex", "Café Müller"]),
    ("status:onboarding", ["Acme Labs"]),
    ("status:paused", []),
    ("plan:enterprise", ["Acme Co", "Initech"]),
    ('plan:"scale (annual)"', ["Café Müller"]),
    ("plan:growth,starter", ["Acme Labs", "Globex", "Umbrella"]),
    ("plan:none", ["Hooli"]),
    ("mrr>1500", ["Acme Co", "Initech"]),
    ("mrr>=1.5k", ["Acme Co", "Initech", "Acme Labs", "Globex"]),
    ("mrr<1000", ["Café Müller", "Umbrella"]),
    ("mrr<=999.99", ["Café Müller", "Umbrella"]),
    ("mrr<999.99", ["Umbrella"]),
    ("mrr:0", ["Umbrella"]),
    ("mrr>1k mrr<3k", ["Initech", "Acme Labs", "Globex"]),
    ("health<50", ["Initech", "Globex"]),
    ("health>=60", ["Acme Co", "Café Müller", "Hooli"]),
    ("orders>100", ["Acme Co", "Café Müller"]),
    ("orders:0", ["Hooli"]),
    ("orders<10", ["Acme Labs", "Hooli"]),
    ("created>2026-01-01", ["Initech", "Acme Labs"]),
    ("created:2026-01-01", ["Café Müller"]),
    ("created>=2026-01-01", ["Initech", "Acme Labs", "Café Müller"]),
    ("created<2024-01-01", ["Umbrella", "Hooli"]),
    ("updated<7d", ["Acme Co", "Initech", "Acme Labs", "Café Müller"]),
    ("updated<24h", ["Initech"]),
    ("updated>1y", ["Umbrella", "Hooli"]),
    ("updated>30d updated<1y", ["Globex"]),
    ("created<=1m", ["Acme Labs"]),  # created exactly 30 days before now
    ("created<1m", []),
    ("channel:linked", ["Acme Co", "Initech"]),
    ("channel:none", ["Acme Labs", "Globex", "Café Müller", "Umbrella", "Hooli"]),
    ("owner:me", ["Acme Co", "Initech", "Café Müller"]),
    ("mine", ["Acme Co", "Initech", "Café Müller"]),
    ("owner:BO@example.com", ["Globex"]),
    ("owner:me,bo@example.com", ["Acme Co", "Initech", "Globex", "Café Müller"]),
    ("acme", ["Acme Co", "Acme Labs"]),
    ('"acme labs"', ["Acme Labs"]),
    ('"co acme"', []),
    ("muller", ["Café Müller"]),
    ("lob", ["Globex"]),
    ("ex", []),  # under three letters, a word must start a word of the name
    ("gl", ["Globex"]),
    ("Müller café", ["Café Müller"]),
    ("cafemuller", ["Café Müller"]),
    ("acme.com", ["Acme Co"]),
    ("labs status:onboarding", ["Acme Labs"]),
    ("status:active,at_risk plan:enterprise mrr>=1k health<50", ["Initech"]),
    ("mine status:at_risk updated<7d channel:linked", ["Initech"]),
]


@pytest.mark.parametrize(("text", "expected"), SELECTS)
def test_each_field_selects(text: str, expected: list[str]) -> None:
    found = run(text)
    assert names(found) == expected
    assert found.count == len(expected)


def test_a_warmed_index_answers_the_same() -> None:
    warmed = PortfolioIndex(SNAPS, signals=SIGNALS.get)
    warmed.warm()
    for text in ("acme", "sort:name", "updated<7d", "mine health<50"):
        parsed = parse_filter(text)
        assert isinstance(parsed, Filter)
        found = warmed.evaluate(parsed, me=ANN, now=NOW)
        assert names(found) == names(run(text))


def test_count_and_total_mrr_cover_every_match() -> None:
    everyone = run("")
    assert (everyone.count, everyone.total_mrr) == (7, 1_149_999)
    assert run("status:at_risk").total_mrr == 400_000
    assert run("plan:none").total_mrr == 0  # Hooli's MRR is unknown
    assert run("status:paused").total_mrr == 0


def test_module_functions_take_plain_snapshots() -> None:
    parsed = parse_filter("status:at_risk")
    assert isinstance(parsed, Filter)
    found = evaluate(parsed, SNAPS, signals=SIGNALS.get, me=None, now=NOW)
    assert [row.customer.display_id for row in found.rows()] == [3, 2]
    assert found.rows()[0].health == 48 and found.rows()[0].signals == SIGNALS[3]
    assert len(INDEX) == 7


SORTS: list[tuple[str, list[str]]] = [
    ("sort:name", ["Acme Co", "Acme Labs", "Café Müller", "Globex", "Hooli", "Initech",
                   "Umbrella"]),
    # lowest health first; unknown health last, in MRR order
    ("sort:health", ["Globex", "Initech", "Hooli", "Acme Co", "Café Müller", "Acme Labs",
                     "Umbrella"]),
    ("sort:updated", ["Initech", "Acme Labs", "Acme Co", "Café Müller", "Globex", "Umbrella",
                      "Hooli"]),
    ("sort:mrr", ALL_BY_MRR),
    ("status:active,at_risk sort:name", ["Acme Co", "Café Müller", "Globex", "Initech"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), SORTS)
def test_sorts(text: str, expected: list[str]) -> None:
    assert names(run(text)) == expected


def test_pages_run_through_every_match() -> None:
    found = run("")
    first = found.page(1, size=3)
    assert [r.customer.name for r in first.rows] == ["Acme Co", "Initech", "Acme Labs"]
    assert (first.number, first.pages, first.count, first.first) == (1, 3, 7, 1)
    assert first.has_next and not first.has_previous
    second = found.page(2, size=3)
    assert [r.customer.name for r in second.rows] == ["Globex", "Café Müller", "Umbrella"]
    last = found.page(3, size=3)
    assert [r.customer.name for r in last.rows] == ["Hooli"]
    assert (last.first, last.has_next, last.has_previous) == (7, False, True)
    assert found.page(99, size=3) == last
    assert found.page(0, size=3) == first
    assert len(found.page().rows) == 7  # ten to a page by default


def test_pages_in_another_sort() -> None:
    page = run("sort:health").page(2, size=2)
    assert [r.customer.name for r in page.rows] == ["Hooli", "Acme Co"]
    assert [r.health for r in page.rows] == [60, 82]


def test_an_empty_result_has_one_empty_page() -> None:
    page = run("status:paused").page(1)
    assert (page.rows, page.number, page.pages, page.count, page.first) == ((), 1, 1, 0, 0)
    assert not page.has_next and not page.has_previous


def test_owner_me_without_the_askers_email_is_not_no_customers() -> None:
    found = run("mine", me=None)
    assert (found.count, found.owner_unknown) == (0, True)
    assert run("mine", me="zed@example.com").owner_unknown is False
    assert run("mine", me=" Ann@Example.com ").count == 3
    assert run("status:active").owner_unknown is False


def test_owner_unknown_when_no_webhook_has_told_any_owner() -> None:
    index = PortfolioIndex(SNAPS, signals=lambda _: Signals(health_score=50))
    for text in ("mine", "owner:ann@example.com"):
        parsed = parse_filter(text)
        assert isinstance(parsed, Filter)
        found = index.evaluate(parsed, me=ANN, now=NOW)
        assert (found.count, found.owner_unknown) == (0, True)


NEAREST: list[tuple[str, str | None, int]] = [
    # drop the condition that leaves the fewest, but some
    ("status:at_risk plan:starter", "plan:starter", 1),
    ("plan:enterprise mrr>10k", "plan:enterprise", 2),
    ("status:churned channel:linked acme", "channel:linked acme", 1),
    ("mrr>1k mrr<1.2k", "mrr<1200", 2),
    # a status or plan nobody has: the closest one somebody has
    ("status:actve", "status:active", 2),
    ("plan:enterprize", "plan:enterprise", 2),
    ("status:actve sort:name", "status:active sort:name", 2),
    # one condition and nothing close: "everyone" is no suggestion
    ("mrr>1m", None, 0),
    ("zzz", None, 0),
]


@pytest.mark.parametrize(("text", "suggested", "count"), NEAREST)
def test_nearest_filter_that_matches(text: str, suggested: str | None, count: int) -> None:
    parsed = parse_filter(text)
    assert isinstance(parsed, Filter)
    assert run(text).count == 0
    found = INDEX.nearest(parsed, me=ANN, now=NOW)
    if suggested is None:
        assert found is None
    else:
        assert found is not None
        assert (found.filter.canonical(), found.count) == (suggested, count)
    same = nearest(parsed, SNAPS, signals=SIGNALS.get, me=ANN, now=NOW)
    assert (same and same.filter) == (found and found.filter)


def test_ages_count_from_the_now_given() -> None:
    later = NOW + timedelta(days=30)
    parsed = parse_filter("updated<7d")
    assert isinstance(parsed, Filter)
    assert INDEX.evaluate(parsed, me=None, now=later).count == 0


# Over a larger generated list, checked against a plain per-customer reading of each filter.
GENERATED = [Customer.model_validate(body) for body in generate_customers(3000, seed=7)]
rng = random.Random(7)
GENERATED_SIGNALS = {
    c.display_id: Signals(health_score=rng.randrange(101), owner_email=f"o{rng.randrange(5)}@x.io")
    for c in GENERATED
    if rng.random() < 0.6
}
BIG = PortfolioIndex([Snapshot(c, 0.0, NOW) for c in GENERATED], signals=GENERATED_SIGNALS.get)


def plainly(c: Customer, text: str) -> bool:
    s = GENERATED_SIGNALS.get(c.display_id)
    health = None if s is None else s.health_score
    rules = {
        "status:active,at_risk": c.status in ("active", "at_risk"),
        "plan:growth": (c.plan or "").casefold() == "growth",
        "mrr>1.5k": c.mrr is not None and c.mrr > 150_000,
        "mrr<=2000 mrr>=500": c.mrr is not None and 50_000 <= c.mrr <= 200_000,
        "orders>=100": c.monthly_orders is not None and c.monthly_orders >= 100,
        "health<30": health is not None and health < 30,
        "owner:me": s is not None and s.owner_email == "o1@x.io",
        "channel:none": c.slack_channel_id is None,
        "created>2024-06-30": c.created_at >= datetime(2024, 7, 1, tzinfo=UTC),
        "updated<90d": c.updated_at > NOW - timedelta(days=90),
        "summit": "summit" in fold(f"{c.name} {c.slug or ''} {c.domain or ''}"),
    }
    return all(rules[term] for term in text.split(" & "))


@pytest.mark.parametrize(
    "text",
    [
        "status:active,at_risk",
        "mrr>1.5k",
        "mrr<=2000 mrr>=500",
        "health<30",
        "owner:me",
        "summit",
        "status:active,at_risk & plan:growth & mrr>1.5k & health<30",
        "channel:none & orders>=100 & created>2024-06-30 & updated<90d",
    ],
)
def test_matches_a_plain_reading_of_the_filter(text: str) -> None:
    parsed = parse_filter(text.replace(" & ", " "))
    assert isinstance(parsed, Filter)
    found = BIG.evaluate(parsed, me="o1@x.io", now=NOW)
    expected = [c for c in GENERATED if plainly(c, text)]
    assert found.count == len(expected) > 0
    assert found.total_mrr == sum(c.mrr or 0 for c in expected)
    by_mrr = sorted(expected, key=lambda c: (c.mrr is None, -(c.mrr or 0), c.name.casefold()))
    assert [row.customer.mrr for row in found.rows()] == [c.mrr for c in by_mrr]


def test_many_matches_page_in_name_order() -> None:
    found = BIG.evaluate(Filter(sort="name"), me=None, now=NOW)
    assert found.count == 3000 > SPARSE  # the sort order is walked, not the matches sorted
    folded = [fold(row.customer.name) for row in found.rows()]
    assert folded == sorted(folded)
    page = found.page(7, size=25)
    assert [r.customer.id for r in page.rows] == [r.customer.id for r in found.rows()[150:175]]
