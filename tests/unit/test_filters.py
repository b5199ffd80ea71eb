"""Table tests for the filter language: what parses to which Filter, what is refused and why."""

from __future__ import annotations

from datetime import date

import pytest

from bot.lookup.filters import Filter, FilterError, Range, is_filter_text, parse_filter

D = date.toordinal
FIELD_LIST = "Filters: status, plan, mrr, health, owner, orders, created, updated, channel, sort."


def gt(v: int) -> Range:
    return Range(lo=v, lo_open=True)


def ge(v: int) -> Range:
    return Range(lo=v)


def lt(v: int) -> Range:
    return Range(hi=v, hi_open=True)


def le(v: int) -> Range:
    return Range(hi=v)


def eq(v: int) -> Range:
    return Range(v, False, v, False)


VALID: list[tuple[str, Filter]] = [
    # status: the four documented values, any other well-formed one, spellings of at_risk
    ("status:at_risk", Filter(statuses=frozenset({"at_risk"}))),
    ("status:at-risk", Filter(statuses=frozenset({"at_risk"}))),
    ('status:"at risk"', Filter(statuses=frozenset({"at_risk"}))),
    ("status:“At Risk”", Filter(statuses=frozenset({"at_risk"}))),
    ("status:'at risk'", Filter(statuses=frozenset({"at_risk"}))),
    ("status:AT_RISK", Filter(statuses=frozenset({"at_risk"}))),
    ("status:atrisk", Filter(statuses=frozenset({"at_risk"}))),
    ("status:active", Filter(statuses=frozenset({"active"}))),
    ("status:churned", Filter(statuses=frozenset({"churned"}))),
    ("status:archived", Filter(statuses=frozenset({"archived"}))),
    ("status:onboarding", Filter(statuses=frozenset({"onboarding"}))),
    ("status:active,at-risk", Filter(statuses=frozenset({"active", "at_risk"}))),
    ('status:"at risk",churned', Filter(statuses=frozenset({"at_risk", "churned"}))),
    ("status: at_risk", Filter(statuses=frozenset({"at_risk"}))),
    ("status=active", Filter(statuses=frozenset({"active"}))),
    ("STATUS:active", Filter(statuses=frozenset({"active"}))),
    ("status:active,churned status:churned", Filter(statuses=frozenset({"churned"}))),
    # plan: folded like names; a comma is any-of; none is "no plan"
    ("plan:enterprise", Filter(plans=frozenset({"enterprise"}))),
    ("plan:Enterprise", Filter(plans=frozenset({"enterprise"}))),
    ("plan:growth,enterprise", Filter(plans=frozenset({"growth", "enterprise"}))),
    ('plan:"Scale (annual)"', Filter(plans=frozenset({"scale annual"}))),
    ("plan:none", Filter(plans=frozenset({""}))),
    # mrr: currency units in, cents kept; suffixes, decimals, grouping, a dollar sign
    ("mrr>1000", Filter(mrr=gt(100_000))),
    ("mrr>=1.5k", Filter(mrr=ge(150_000))),
    ("mrr<2m", Filter(mrr=lt(200_000_000))),
    ("mrr<=999.99", Filter(mrr=le(99_999))),
    ("mrr:0", Filter(mrr=eq(0))),
    ("mrr=250", Filter(mrr=eq(25_000))),
    ("mrr>$1,500", Filter(mrr=gt(150_000))),
    ("mrr>.5k", Filter(mrr=gt(50_000))),
    ("MRR>1K", Filter(mrr=gt(100_000))),
    ("mrr>1k mrr<5k", Filter(mrr=Range(100_000, True, 500_000, True))),
    ("mrr>1k mrr>2k", Filter(mrr=gt(200_000))),
    ("mrr>=2k mrr>2k", Filter(mrr=gt(200_000))),
    ("mrr<5k mrr<=5k", Filter(mrr=lt(500_000))),
    ("mrr>=1k mrr<=1k", Filter(mrr=Range(100_000, False, 100_000, False))),
    ("mrr&gt;1000", Filter(mrr=gt(100_000))),
    ("mrr≥1000", Filter(mrr=ge(100_000))),
    # health and orders: whole numbers
    ("health<50", Filter(health=lt(50))),
    ("health<=50%", Filter(health=le(50))),
    ("health_score>=80", Filter(health=ge(80))),
    ("health:0", Filter(health=eq(0))),
    ("orders>100", Filter(orders=gt(100))),
    ("orders>=1.5k", Filter(orders=ge(1500))),
    ("monthly_orders<1,200", Filter(orders=lt(1200))),
    # created / updated: a day, or an age relative to now
    ("created>2026-01-01", Filter(created=gt(D(date(2026, 1, 1))))),
    ("created:2025-12-31", Filter(created=eq(D(date(2025, 12, 31))))),
    ("created<=2024-02-29", Filter(created=le(D(date(2024, 2, 29))))),
    ("updated<7d", Filter(updated_age=lt(7 * 24))),
    ("updated>2w", Filter(updated_age=gt(14 * 24))),
    ("updated>3m", Filter(updated_age=gt(90 * 24))),
    ("updated<24h", Filter(updated_age=lt(24))),
    ("created<1y", Filter(created_age=lt(365 * 24))),
    ("updated:7d", Filter(updated_age=lt(7 * 24))),
    ("updated<7d updated>1d", Filter(updated_age=Range(24, True, 168, True))),
    (
        "updated>2026-01-01 updated<30d",
        Filter(updated=gt(D(date(2026, 1, 1))), updated_age=lt(720)),
    ),
    # owner, mine, channel, sort
    ("owner:me", Filter(owners=frozenset({"me"}))),
    ("mine", Filter(owners=frozenset({"me"}))),
    ("MINE", Filter(owners=frozenset({"me"}))),
    ("mine owner:me", Filter(owners=frozenset({"me"}))),
    ("owner:Ann@Example.com", Filter(owners=frozenset({"ann@example.com"}))),
    (
        "owner:ann@example.com,bo@example.com",
        Filter(owners=frozenset({"ann@example.com", "bo@example.com"})),
    ),
    (
        "owner:<mailto:ann@example.com|ann@example.com>",
        Filter(owners=frozenset({"ann@example.com"})),
    ),
    ("channel:linked", Filter(channel=True)),
    ("channel:none", Filter(channel=False)),
    ("channel:yes channel:linked", Filter(channel=True)),
    ("sort:name", Filter(sort="name")),
    ("sort:health", Filter(sort="health")),
    ("sort:updated status:active", Filter(statuses=frozenset({"active"}), sort="updated")),
    ("sort:mrr", Filter()),
    # free text: folded like names, each word once, in any order
    ("acme status:active", Filter(statuses=frozenset({"active"}), words=("acme",))),
    ("status:active Café Müller", Filter(statuses=frozenset({"active"}), words=("cafe", "muller"))),
    ('status:active "acme co"', Filter(statuses=frozenset({"active"}), words=("acme co",))),
    ('"mine" plan:growth', Filter(plans=frozenset({"growth"}), words=("mine",))),
    ("acme ACME status:active", Filter(statuses=frozenset({"active"}), words=("acme",))),
    ("Acme: status:active", Filter(statuses=frozenset({"active"}), words=("acme",))),
    (
        "status:active <https://acme.com|acme.com>",
        Filter(statuses=frozenset({"active"}), words=("acme com",)),
    ),
    ("", Filter()),
    ("   ", Filter()),
    # four fields at once, in any order
    (
        "status:at-risk plan:enterprise mrr>=1.5k health<50",
        Filter(
            statuses=frozenset({"at_risk"}),
            plans=frozenset({"enterprise"}),
            mrr=ge(150_000),
            health=lt(50),
        ),
    ),
]

INVALID: list[tuple[str, str, str]] = [
    # unknown fields: named, the closest suggested, the fields listed
    ("stauts:active", "unknown_field", 'Unknown filter "stauts:" — did you mean status:?'),
    ("helth<50", "unknown_field", "did you mean health<?"),
    ("mr>5", "unknown_field", "did you mean mrr>?"),
    ("chanel:linked", "unknown_field", "did you mean channel:?"),
    ("order>5", "unknown_field", "did you mean orders>?"),
    ("monthly_order>5", "unknown_field", "did you mean orders>?"),
    ("colour:red", "unknown_field", 'Unknown filter "colour:". Filters: status, plan'),
    ("re:Invent", "unknown_field", 'Unknown filter "re:"'),
    # bad values
    ("status:", "value", "status: needs a value, e.g. status:at_risk."),
    ("status:,active", "value", "status: needs a value"),
    ("status:act!ve", "value", '"act!ve" is not a status'),
    ("plan:!!!", "value", '"!!!" is not a plan'),
    ("mrr>abc", "value", '"abc" is not a number: try mrr>1000, mrr>=1.5k or mrr<2m.'),
    ("mrr>-5", "value", '"-5" is not a number'),
    ("mrr>1.005", "value", "more than two decimals"),
    ("mrr>1,00", "value", '"1,00" is not a number'),
    ("mrr>99999999999999", "value", "more MRR than any customer has"),
    ("mrr>1e6", "value", '"1e6" is not a number'),
    ("mrr:1000,2000", "value", '"1000,2000" is not a number'),
    ("orders>1.5", "value", '"1.5" is not a whole number'),
    ("orders>many", "value", '"many" is not a number: try orders>100.'),
    ("health<150", "value", "scores run from 0 to 100"),
    ("health<-1", "value", "is not a health score"),
    ("health:good", "value", "is not a health score"),
    ("created>2026-02-30", "value", '"2026-02-30" is not a date or an age'),
    ("created>yesterday", "value", "try created>2026-01-01 or created<7d"),
    ("updated<0d", "value", '"0d" is not a date or an age'),
    ("updated<7s", "value", "is not a date or an age"),
    ("owner:ann", "value", '"ann" is not an owner: try owner:me or owner:name@example.com.'),
    ("channel:maybe", "value", '"maybe" is not a channel state'),
    ("channel:lnked", "value", "did you mean channel:linked?"),
    ("sort:nmae", "value", "did you mean sort:name?"),
    ("sort:orders", "value", "is not a sort"),
    # operators a field does not take
    ("status>active", "operator", 'status takes ":" as in status:at_risk, not ">".'),
    ("plan<growth", "operator", 'plan takes ":"'),
    ("channel>=linked", "operator", 'channel takes ":"'),
    ("sort>name", "operator", 'sort takes ":"'),
    # contradictions
    ("mrr>5k mrr<1k", "contradiction", '"mrr>5000" and "mrr<1000" cannot both hold.'),
    ("mrr>1k mrr<1k", "contradiction", "cannot both hold"),
    ("mrr:1k mrr>1k", "contradiction", '"mrr:1000" and "mrr>1000"'),
    ("orders>5 orders<6", "contradiction", "cannot both hold"),
    ("health>50 health<20", "contradiction", '"health>50" and "health<20"'),
    ("status:active status:churned", "contradiction", '"status:active" and "status:churned"'),
    ("plan:growth plan:enterprise", "contradiction", '"plan:growth" and "plan:enterprise"'),
    ("channel:linked channel:none", "contradiction", '"channel:linked" and "channel:none"'),
    ("owner:me owner:ann@example.com", "contradiction", '"owner:me" and "owner:ann@example.com"'),
    ("mine owner:ann@example.com", "contradiction", "cannot both hold"),
    ("sort:name sort:health", "contradiction", '"sort:name" and "sort:health"'),
    ("updated<7d updated>30d", "contradiction", '"updated<7d" and "updated>30d"'),
    ("created>2026-01-01 created<2026-01-02", "contradiction", "cannot both hold"),
    # quotes
    ('status:"at risk', "quote", 'A quote is not closed: ""at risk".'),
    ('"acme status:active', "quote", "A quote is not closed"),
]

HOSTILE: list[tuple[str, str, str]] = [
    ("x" * 10_240, "too_long", "That filter is 10,240 characters; a filter takes at most 500."),
    ("status:active " + "a" * 500, "too_long", "a filter takes at most 500"),
    ("status:active\x00", "control", "Filters cannot contain control characters."),
    ("\x1b[31mstatus:active", "control", "control characters"),
    ("status:active\u202eevil", "control", "control characters"),
    ("<!channel>", "markup", 'Mentions are not filters: "<!channel>".'),
    ("status:active <!here|here>", "markup", "Mentions are not filters"),
    ("owner:<@U123ABC>", "markup", "Mentions are not filters"),
    ("&lt;!channel&gt; mine", "markup", "Mentions are not filters"),
    ("status:active'; DROP TABLE customers;--", "value", "is not a status"),
    ("mrr>1;DELETE FROM customers", "value", "is not a number"),
    ("status:" + "a" * 300, "value", "…" + '" is not a status'),
    ("zz" * 100 + ":x", "unknown_field", "Unknown filter"),
]

# The same segment typed two ways: one Filter, one canonical text.
SAME: list[tuple[str, str, str]] = [
    ("status:at-risk plan:Enterprise", 'plan:enterprise status:"at risk"',
     "status:at_risk plan:enterprise"),
    ("mrr>=1.5k", "mrr>=1500", "mrr>=1500"),
    ("mrr>1k mrr<5k", "mrr<5000 mrr>1000", "mrr>1000 mrr<5000"),
    ("plan:growth,enterprise", "plan:Enterprise,GROWTH", "plan:enterprise,growth"),
    ("mine", "owner:me", "owner:me"),
    ("updated<24h", "updated<1d", "updated<1d"),
    ("updated>2w", "updated>14d", "updated>14d"),
    ("acme status:active", "status:ACTIVE Acme", "status:active acme"),
    ("channel:yes", "channel:linked", "channel:linked"),
    ("sort:mrr status:active", "status:active", "status:active"),
    ('plan:"Scale (annual)" status:onboarding', "status:onboarding plan:scale-annual",
     'status:onboarding plan:"scale annual"'),
    ("health<50 orders>10 created>2026-01-01 channel:none sort:name",
     "sort:name channel:none created>2026-01-01 orders>10 health<50",
     "health<50 orders>10 created>2026-01-01 channel:none sort:name"),
]  # fmt: skip

FILTER_TEXT: list[tuple[str, bool]] = [
    ("status:at_risk", True),
    ("mrr>1000", True),
    ("acme mrr>1000", True),
    ("mine", True),
    (" Mine ", True),
    ("status:", True),
    ("status: at_risk", True),
    ("stauts:active", True),  # an unknown field is still a filter (and gets its message)
    ('foo:"bar"', True),
    ("mrr&gt;1000", True),
    ("acme", False),
    ("42", False),
    ("#42", False),
    ("Acme Co.", False),
    ("acme.com", False),
    ("mine acme", False),
    ("Acme: Widgets", False),
    ('"re:Invent"', False),
    ('"status:active"', False),
    ("https://my.pivotal.app/customers/42", False),
    ("<https://my.pivotal.app/customers/42|Acme>", False),
    ("<#C024BE7LT|acme>", False),
    ("<!channel>", False),
    ("10:30", False),
    ("", False),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_filters(text: str, expected: Filter) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(("text", "kind", "phrase"), INVALID + HOSTILE)
def test_refused_filters_say_why(text: str, kind: str, phrase: str) -> None:
    result = parse_filter(text)
    assert isinstance(result, FilterError)
    assert result.kind == kind
    assert phrase in result.message
    assert str(result) == result.message


@pytest.mark.parametrize(("text", "kind", "phrase"), HOSTILE)
def test_hostile_text_is_never_echoed_at_length(text: str, kind: str, phrase: str) -> None:
    result = parse_filter(text)
    assert isinstance(result, FilterError)
    assert len(result.message) <= 200
    for fragment in result.message.split('"')[1::2]:
        assert len(fragment) <= 40
    assert "\x00" not in result.message and "\x1b" not in result.message


@pytest.mark.parametrize(("one", "other", "canonical"), SAME)
def test_one_segment_typed_two_ways(one: str, other: str, canonical: str) -> None:
    first, second = parse_filter(one), parse_filter(other)
    assert isinstance(first, Filter) and isinstance(second, Filter)
    assert first == second
    assert first.canonical() == second.canonical() == str(first) == canonical
    assert hash(first) == hash(second)


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_canonical_text_reads_back_as_the_same_filter(text: str, expected: Filter) -> None:
    assert parse_filter(expected.canonical()) == expected


@pytest.mark.parametrize(("text", "expected"), FILTER_TEXT)
def test_is_filter_text(text: str, expected: bool) -> None:
    assert is_filter_text(text) is expected


def test_unknown_field_lists_the_fields_there_are() -> None:
    result = parse_filter("stauts:active")
    assert isinstance(result, FilterError)
    assert result.message == ('Unknown filter "stauts:" — did you mean status:? ' + FIELD_LIST)
    assert result.field == "stauts"


def test_terms_are_the_conditions_without_the_sort() -> None:
    parsed = parse_filter('sort:name mrr>1k mrr<5k status:active "acme co" mine')
    assert isinstance(parsed, Filter)
    assert parsed.terms() == ("status:active", "mrr>1000", "mrr<5000", "owner:me", '"acme co"')
    assert parsed.canonical() == 'status:active mrr>1000 mrr<5000 owner:me "acme co" sort:name'


def test_a_quoted_mine_is_a_name_and_reads_back_as_one() -> None:
    parsed = parse_filter('"mine"')
    assert parsed == Filter(words=("mine",))
    assert isinstance(parsed, Filter) and parsed.canonical() == '"mine"'
