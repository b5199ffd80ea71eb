"""`pivotal-bot check` on follows: counts by kind, what is still owed, what failed and why."""

from __future__ import annotations

from bot.check import follow_items
from bot.follows.model import Destination, NewFollow, Notice, Target
from bot.store.database import Database
from bot.store.follows import SqlFollows
from bot.store.health import database_status
from bot.store.outbox import SqlOutbox

NOW = 1_700_000_000.0


async def test_the_database_status_counts_follows_and_notifications(
    database: Database, database_url: str
) -> None:
    follows, outbox = SqlFollows(database), SqlOutbox(database)
    kept, _ = await follows.add(NewFollow(Target(display_id=42), Destination("C1"), "U1"), now=NOW)
    paused, _ = await follows.add(NewFollow(Target(segment="plan:pro"), Destination("C2"), "U1"),
                                  now=NOW)  # fmt: skip
    await follows.pause(paused.id, "channel archived")
    drop = (Notice("health", "72", "58"),)
    await outbox.fold(kept, 42, "e1", drop, now=NOW, window_seconds=30, broadcast=False)
    gone = await outbox.fold(kept, 43, "e2", drop, now=NOW, window_seconds=30, broadcast=False)
    assert gone is not None
    await outbox.failed(gone.id, "not_in_channel")
    status = await database_status(database_url)
    assert status.follows is not None and status.follows["paused"] == 1
    texts = [item.text for item in follow_items(status.follows, status.notifications)]
    assert texts[0] == "Follows: 1 customer, 1 segment, 1 paused"
    assert texts[1].startswith("Notifications: 1 waiting to be sent, the oldest ")
    assert texts[2] == "Notifications: 1 not delivered (1 not_in_channel)"
    assert texts[3].startswith("1 follow(s) paused")


def test_nothing_is_said_without_the_figures() -> None:
    assert follow_items(None, None) == []
