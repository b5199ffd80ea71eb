"""Why a follow is paused: the reasons Slack's lifecycle events and snoozes write (pure).

`/customer following` shows them as written, so they are phrased for the people reading.
A snooze's reason carries its end in UTC (`snoozed until 2026-12-06 14:05 UTC`), so the
follow says when it speaks again and the waker knows when to resume it.
"""

from __future__ import annotations

from datetime import UTC, datetime

CHANNEL_ARCHIVED = "channel archived"
BOT_REMOVED = "the bot was removed from the channel"
SNOOZED = "snoozed until "
_SNOOZE_FORMAT = "%Y-%m-%d %H:%M UTC"


def snoozed_until(until: float) -> str:
    """The paused reason of a follow snoozed until `until` (epoch seconds)."""
    return SNOOZED + datetime.fromtimestamp(until, tz=UTC).strftime(_SNOOZE_FORMAT)


def snooze_end(reason: str | None) -> float | None:
    """When a snooze ends (epoch seconds); None when `reason` is not a snooze."""
    if reason is None or not reason.startswith(SNOOZED):
        return None
    try:
        moment = datetime.strptime(reason.removeprefix(SNOOZED), _SNOOZE_FORMAT)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC).timestamp()
