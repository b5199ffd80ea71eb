"""One customer against a filter (segment follows) gives the same answer as the index."""

from __future__ import annotations

import pytest

from bot.lookup.filters import Filter, parse_filter
from bot.lookup.matcher import Matcher
from tests.unit.test_portfolio import BIG, GENERATED, GENERATED_SIGNALS, NOW

FILTERS = [
    "status:active,at_risk",
    "status:at-risk plan:growth",
    "plan:none",
    'plan:"scale (annual)"',
    "mrr>1.5k",
    "mrr<=2000 mrr>=500",
    "mrr:0",
    "orders>=100",
    "orders<1",
    "health<30",
    "health>=70 health<=80",
    "owner:me",
    "owner:o2@x.io,o3@x.io",
    "channel:none",
    "channel:linked",
    "created>2024-06-30",
    "created<=2023-01-01",
    "created:2024-03-05",
    "updated<90d",
    "updated>2w",
    "summit",
    "su",
    "analytics co",
    "status:active plan:growth mrr>1k health<50",
    "channel:linked orders>=10 updated<365d owner:me",
]


@pytest.mark.parametrize("text", FILTERS)
def test_agrees_with_the_index_on_every_generated_customer(text: str) -> None:
    parsed = parse_filter(text)
    assert isinstance(parsed, Filter), parsed
    listed = {row.customer.display_id for row in BIG.evaluate(parsed, me="o1@x.io", now=NOW).rows()}
    matcher = Matcher(parsed, me="O1@x.io ")
    one_by_one = {
        c.display_id for c in GENERATED if matcher(c, GENERATED_SIGNALS.get(c.display_id), NOW)
    }
    assert one_by_one == listed


def test_owner_me_without_an_email_matches_no_one() -> None:
    parsed = parse_filter("owner:me")
    assert isinstance(parsed, Filter)
    matcher = Matcher(parsed)
    assert not any(matcher(c, GENERATED_SIGNALS.get(c.display_id), NOW) for c in GENERATED)


def test_everyone_matches_the_empty_filter() -> None:
    matcher = Matcher(Filter())
    assert all(matcher(c, None, NOW) for c in GENERATED[:50])
