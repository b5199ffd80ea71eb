"""When digests are due (pure): a daily follow's day, and a quiet follow's hour.

A daily follow's digest of day D (its own time zone) is sent at its hour on D + 1, listing
what changed on D, or that nothing did. A replica that was down at that hour sends it late,
at most a day late; days before the follow existed are never sent. A follow that went
quiet for an hour (too many changes) gets that hour's changes once the hour is over; the
hour's key is `YYYY-MM-DDTHH` in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.follows.model import Follow


def zone_of(follow: Follow) -> ZoneInfo:
    try:
        return ZoneInfo(follow.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(follow: Follow, at: float) -> date:
    """The day it is at `at` where the follow's person or workspace is."""
    return datetime.fromtimestamp(at, tz=zone_of(follow)).date()


def daily_due(follow: Follow, now: float) -> list[str]:
    """The days whose digest may be sent at `now`, oldest first (claiming makes it once)."""
    local = datetime.fromtimestamp(now, tz=zone_of(follow))
    today = local.date()
    newest = today - timedelta(days=1 if local.hour >= follow.digest_hour else 2)
    first = local_day(follow, follow.created_at)
    days = [newest - timedelta(days=1), newest]
    return [day.isoformat() for day in days if day >= first]


def hour_over(key: str, now: float) -> bool:
    """Whether the UTC hour `YYYY-MM-DDTHH` has ended at `now` (False for other keys)."""
    try:
        start = datetime.strptime(key, "%Y-%m-%dT%H").replace(tzinfo=UTC)
    except ValueError:
        return False
    return now >= (start + timedelta(hours=1)).timestamp()
