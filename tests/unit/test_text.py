"""Table tests for the text helpers: mrkdwn escaping, cutting, money and Slack dates."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.blocks.text import count, cut, escape, money, slack_date


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("", ""),
        ("Acme Co", "Acme Co"),
        ("a<b>&c", "a&lt;b&gt;&amp;c"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ("&amp;", "&amp;amp;"),
        ("&lt;!here&gt;", "&amp;lt;!here&amp;gt;"),
        ("*bold* _it_ ~s~ `code`", "*bold* _it_ ~s~ `code`"),
        ("Ünïcødé 🎉 مرحبا", "Ünïcødé 🎉 مرحبا"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abc", 3, "abc"),
        ("abc", 10, "abc"),
        ("", 1, ""),
        ("abcd", 3, "ab…"),
        ("abcd", 1, "…"),
        ("a" * 151, 150, "a" * 149 + "…"),
        ("éééé", 3, "éé…"),
        ("🎉🎉🎉🎉", 2, "🎉…"),
        # never half an entity: the open tail goes, whole entities stay
        ("a&amp;b", 3, "a…"),
        ("ab&amp;cd", 5, "ab…"),
        ("ab&amp;cd", 8, "ab&amp;…"),
        ("x&lt;y", 4, "x…"),
        ("x&gt;y", 3, "x…"),
        ("&lt;&lt;&lt;", 10, "&lt;&lt;…"),
        # a plain "&" (text that is not escaped, e.g. a plain_text header) is kept
        ("Procter & Gamble " + "x" * 200, 30, "Procter & Gamble " + "x" * 12 + "…"),
        ("AT&T" * 10, 9, "AT&TAT&T…"),
    ],
)
def test_cut(text: str, limit: int, expected: str) -> None:
    assert cut(text, limit) == expected
    assert len(cut(text, limit)) <= limit


@pytest.mark.parametrize("limit", [1, 2, 5, 75, 150, 2000, 3000])
def test_cut_is_exact_at_the_limit(limit: int) -> None:
    assert cut("x" * limit, limit) == "x" * limit
    assert cut("x" * (limit + 1), limit) == "x" * (limit - 1) + "…"
    assert len(cut("x" * 10_000, limit)) == limit


_ENTITY_TAIL = re.compile(r"&[a-z]*…$")


@given(st.text(alphabet="ab&<> ", max_size=60), st.integers(min_value=1, max_value=40))
def test_cut_of_escaped_text_never_splits_an_entity(raw: str, limit: int) -> None:
    out = cut(escape(raw), limit)
    assert len(out) <= limit
    assert not _ENTITY_TAIL.search(out)
    assert re.fullmatch(r"([^&]|&amp;|&lt;|&gt;)*…?", out), out


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (125000, "USD", "$1,250"),
        (125050, "USD", "$1,250.50"),
        (125005, "USD", "$1,250.05"),
        (0, "USD", "$0"),
        (1, "USD", "$0.01"),
        (99, "USD", "$0.99"),
        (-125000, "USD", "-$1,250"),
        (-5, "USD", "-$0.05"),
        (10**12, "USD", "$10,000,000,000"),
        (125000, "EUR", "€1,250"),
        (125050, "GBP", "£1,250.50"),
        (125000, "CAD", "CA$1,250"),
        (125000, "CHF", "1,250 CHF"),
        (125050, "CHF", "1,250.50 CHF"),
        (-125000, "CHF", "-1,250 CHF"),
    ],
)
def test_money(cents: int, currency: str, expected: str) -> None:
    assert money(cents, currency) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0, "0"), (320, "320"), (1234567, "1,234,567"), (-5, "-5")]
)
def test_count(value: int, expected: str) -> None:
    assert count(value) == expected


@pytest.mark.parametrize(
    ("moment", "tokens", "expected"),
    [
        (
            datetime(2024, 1, 5, 9, 30, tzinfo=UTC),
            "{date_short}",
            "<!date^1704447000^{date_short}|Jan 5, 2024>",
        ),
        (
            datetime(2023, 12, 25, 14, 5, tzinfo=UTC),
            "{date_short_pretty} at {time}",
            "<!date^1703513100^{date_short_pretty} at {time}|Dec 25, 2023 at 14:05 UTC>",
        ),
        # another offset: the same instant, and the fallback really is UTC
        (
            datetime(2024, 1, 5, 11, 30, tzinfo=timezone(timedelta(hours=2))),
            "{date_short}",
            "<!date^1704447000^{date_short}|Jan 5, 2024>",
        ),
        # a naive time is UTC, whatever the host's TZ says
        (
            datetime(2024, 1, 5, 9, 30),
            "{date_short}",
            "<!date^1704447000^{date_short}|Jan 5, 2024>",
        ),
    ],
)
def test_slack_date(moment: datetime, tokens: str, expected: str) -> None:
    assert slack_date(moment, tokens=tokens) == expected


def test_slack_date_default_tokens_and_shape() -> None:
    token = slack_date(datetime(2021, 3, 4, 10, 0, tzinfo=UTC))
    assert token == "<!date^1614852000^{date_short}|Mar 4, 2021>"
    assert re.fullmatch(r"<!date\^\d+\^[^|<>]+\|[^|<>]+>", token)


def test_slack_date_ignores_the_host_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = "<!date^1704447000^{date_short}|Jan 5, 2024>"
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert slack_date(datetime(2024, 1, 5, 9, 30)) == expected
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("moment", "tokens", "expected"),
    [
        # Times always two-digit 24-hour UTC, so 02:01 and 21:18 line up; days unpadded.
        (datetime(2022, 6, 7, 2, 1, tzinfo=UTC), "{date_short_pretty} at {time}",
         "Jun 7, 2022 at 02:01 UTC"),
        (datetime(2022, 6, 27, 21, 18, tzinfo=UTC), "{date_short_pretty} at {time}",
         "Jun 27, 2022 at 21:18 UTC"),
        # another offset: the fallback shows the same instant in UTC
        (datetime(2024, 1, 5, 11, 30, tzinfo=timezone(timedelta(hours=2))), "{time}",
         "09:30 UTC"),
        (datetime(2024, 1, 5, 9, 30, 7, tzinfo=UTC), "{date_num} {time_secs}",
         "2024-01-05 09:30:07 UTC"),
        (datetime(2024, 1, 5, tzinfo=UTC), "{date_long}", "Friday, January 5, 2024"),
        (datetime(2024, 1, 5, tzinfo=UTC), "{date}", "January 5, 2024"),
    ],
)  # fmt: skip
def test_date_fallback_follows_the_tokens(moment: datetime, tokens: str, expected: str) -> None:
    assert slack_date(moment, tokens=tokens).endswith(f"|{expected}>")
