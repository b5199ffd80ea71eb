"""`/customer follow …` text: customer or segment, kinds, daily, me, and refused input."""

from __future__ import annotations

import pytest

from bot.blocks import follow as blocks
from bot.follows.model import DEFAULT_KINDS
from bot.follows.reasons import snooze_end, snoozed_until
from bot.follows.text import (
    FollowProblem,
    FollowText,
    canonical_segment,
    parse_follow,
    with_owner,
)
from bot.lookup.filters import Filter, parse_filter
from bot.lookup.query import ChannelQuery, IdQuery, NameQuery
from bot.slack.lifecycle import revokes_bot_tokens

APP = "https://my.pivotal.app"


def parsed(text: str) -> FollowText:
    result = parse_follow(text, app_url=APP, channel_id="C0GENERAL")
    assert isinstance(result, FollowText), result
    return result


def refused(text: str) -> str:
    result = parse_follow(text, app_url=APP, channel_id="C0GENERAL")
    assert isinstance(result, FollowProblem), result
    return result.message


@pytest.mark.parametrize(
    ("text", "query", "kinds", "digest", "hour", "personal"),
    [
        ("42", IdQuery("42"), DEFAULT_KINDS, False, 9, False),
        ("#42", IdQuery("42"), DEFAULT_KINDS, False, 9, False),
        ("42 status health", IdQuery("42"), {"status", "health"}, False, 9, False),
        ("42 STATUS mrr", IdQuery("42"), {"status", "mrr"}, False, 9, False),
        ("42 all", IdQuery("42"), DEFAULT_KINDS, False, 9, False),
        ("42 daily", IdQuery("42"), DEFAULT_KINDS, True, 9, False),
        ("42 daily at 17", IdQuery("42"), DEFAULT_KINDS, True, 17, False),
        ("42 daily 5pm", IdQuery("42"), DEFAULT_KINDS, True, 17, False),
        ("42 daily at 8:00 me", IdQuery("42"), DEFAULT_KINDS, True, 8, True),
        ("42 just me", IdQuery("42"), DEFAULT_KINDS, False, 9, True),
        ("42 health me", IdQuery("42"), {"health"}, False, 9, True),
        ("acme corp", NameQuery("acme corp"), DEFAULT_KINDS, False, 9, False),
        ("acme corp owner onboarding contacts", NameQuery("acme corp"),
         {"owner", "onboarding", "contacts"}, False, 9, False),
        ('"Health Co" status', NameQuery("Health Co"), {"status"}, False, 9, False),
        (f"{APP}/customers/42 plan", IdQuery("42"), {"plan"}, False, 9, False),
        ("<#C0ACME|acme> status", ChannelQuery("C0ACME"), {"status"}, False, 9, False),
        ("", ChannelQuery("C0GENERAL"), DEFAULT_KINDS, False, 9, False),  # the linked customer
        ("daily", ChannelQuery("C0GENERAL"), DEFAULT_KINDS, True, 9, False),
    ],
)  # fmt: skip
def test_customer_follows(
    text: str, query: object, kinds: set[str], digest: bool, hour: int, personal: bool
) -> None:
    got = parsed(text)
    assert (got.query, got.segment) == (query, None)
    assert (got.kinds, got.digest, got.hour, got.personal) == (kinds, digest, hour, personal)
    assert not got.is_segment


@pytest.mark.parametrize(
    ("text", "canonical", "kinds", "digest", "personal"),
    [
        ("status:at_risk plan:enterprise", "status:at_risk plan:enterprise", DEFAULT_KINDS,
         False, False),
        ("plan:enterprise status:at_risk", "status:at_risk plan:enterprise", DEFAULT_KINDS,
         False, False),
        ("status:at_risk daily", "status:at_risk", DEFAULT_KINDS, True, False),
        ("status:at_risk health status daily me", "status:at_risk", {"health", "status"},
         True, True),
        ("mrr>1k sort:name", "mrr>1000", DEFAULT_KINDS, False, False),  # no order kept
        ("mine", "owner:me", DEFAULT_KINDS, False, False),
        ("owner:me health", "owner:me", {"health"}, False, False),
    ],
)  # fmt: skip
def test_segment_follows(
    text: str, canonical: str, kinds: set[str], digest: bool, personal: bool
) -> None:
    got = parsed(text)
    assert got.query is None and got.segment is not None and got.is_segment
    assert canonical_segment(got.segment) == canonical
    assert (got.kinds, got.digest, got.personal) == (kinds, digest, personal)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("42 pricing", "`pricing` is not a kind of change"),
        ("42 helth", "Did you mean `health`?"),
        ("acme helth", "did you mean `health`?"),
        ("42 at 9", "An hour is for a daily digest"),
        ("42 daily at 25", "`25` is not an hour"),
        ("x" * 10_000, "10,000 characters"),
        ("status:at_risk " * 700, "a follow takes at most 600"),
        ("42\x00", "control characters"),
        ("acme\x1b[31m", "control characters"),
        ("<@U0SOMEONE>", "Mentions are not customers"),
        ("42 <!channel>", "Mentions are not customers"),
        ("health<abc", "health"),
        ("colour:red", "colour"),
        ("sort:name", "no conditions"),
        ("https://evil.example.com/customers/42", "Only customer links on my.pivotal.app"),
    ],
)
def test_refused_text_says_why(text: str, says: str) -> None:
    assert says in refused(text)


def test_help_and_nothing_to_follow_show_the_usage() -> None:
    result = parse_follow("help", app_url=APP, channel_id="C0GENERAL")
    assert isinstance(result, FollowProblem) and result.usage
    result = parse_follow("", app_url=APP, channel_id="")
    assert isinstance(result, FollowProblem) and result.usage


def test_owner_me_becomes_the_creators_email_in_the_kept_text() -> None:
    segment = parse_filter("owner:me,ann@example.com status:at_risk")
    assert isinstance(segment, Filter)
    mine = with_owner(segment, "Pat@Example.com")
    assert canonical_segment(mine) == "status:at_risk owner:ann@example.com,pat@example.com"
    assert parse_filter(canonical_segment(mine)) == mine  # the planner reads it back


def test_a_confirm_value_round_trips_and_forged_ones_are_refused() -> None:
    asked = blocks.Asked("status:at_risk owner:pat@example.com", frozenset({"status"}), True,
                         17, True)  # fmt: skip
    value = blocks.request_value(asked)
    assert blocks.request_of({"value": value}) == asked
    for forged in ("", "segment|x|status|0|9|plan:pro", "segment|c|hacking|0|9|plan:pro",
                   "segment|c|status|0|24|plan:pro", "segment|c|status|2|9|plan:pro",
                   "segment|c|status|0|9| ", "customer:42"):  # fmt: skip
        assert blocks.request_of({"value": forged}) is None


def test_a_snooze_reason_says_when_it_ends() -> None:
    reason = snoozed_until(1_796_566_500.0)
    assert reason == "snoozed until 2026-12-06 14:15 UTC"
    assert snooze_end(reason) == 1_796_566_500.0
    assert snooze_end("channel archived") is None
    assert snooze_end("snoozed until tomorrow") is None
    assert snooze_end(None) is None


def test_only_revokedrevokes_bot_tokens_count_as_the_app_gone() -> None:
    assert revokes_bot_tokens({"tokens": {"oauth": [], "bot": ["U0BOT"]}})
    assert not revokes_bot_tokens({"tokens": {"oauth": ["U0PERSON"]}})
    assert not revokes_bot_tokens({"tokens": {"oauth": ["U0PERSON"], "bot": []}})
    assert not revokes_bot_tokens({})
