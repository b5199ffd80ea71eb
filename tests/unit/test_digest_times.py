"""When a digest is due: the follow's own hour and time zone, at most a day late, never for
days before the follow; a quiet hour's digest once the hour is over."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.follows.digests import daily_due, hour_over
from bot.follows.model import Destination, Follow, Target


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def daily(timezone: str = "UTC", hour: int = 9, created: str = "2026-11-01T00:00") -> Follow:
    return Follow(Target(display_id=1), Destination("C1"), created_by="U1", digest=True,
                  digest_hour=hour, timezone=timezone, id=1, created_at=at(created))  # fmt: skip


@pytest.mark.parametrize(
    ("follow", "now", "days"),
    [
        (daily(), "2026-12-05T08:59", ["2026-12-02", "2026-12-03"]),
        (daily(), "2026-12-05T09:00", ["2026-12-03", "2026-12-04"]),
        (daily(hour=0), "2026-12-05T00:00", ["2026-12-03", "2026-12-04"]),
        # 06:00 UTC is 15:00 in Tokyo (past 9) but 01:00 in New York (before 9).
        (daily("Asia/Tokyo"), "2026-12-05T06:00", ["2026-12-03", "2026-12-04"]),
        (daily("America/New_York"), "2026-12-05T06:00", ["2026-12-02", "2026-12-03"]),
        (daily("Not/AZone"), "2026-12-05T09:30", ["2026-12-03", "2026-12-04"]),
        # Never a day before the follow existed.
        (daily(created="2026-12-04T15:00"), "2026-12-05T09:00", ["2026-12-04"]),
        (daily(created="2026-12-05T08:00"), "2026-12-05T09:00", []),
    ],
)
def test_daily_due(follow: Follow, now: str, days: list[str]) -> None:
    assert daily_due(follow, at(now)) == days


@pytest.mark.parametrize(
    ("key", "now", "over"),
    [
        ("2026-12-05T14", "2026-12-05T14:59", False),
        ("2026-12-05T14", "2026-12-05T15:00", True),
        ("2026-12-05", "2026-12-09T00:00", False),  # a daily key is not an hour
        ("garbage", "2026-12-09T00:00", False),
    ],
)
def test_hour_over(key: str, now: str, over: bool) -> None:
    assert hour_over(key, at(now)) is over
