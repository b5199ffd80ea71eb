"""A claimed row says when its last post may have reached Slack (so the sender looks first)."""

from __future__ import annotations

from bot.follows.model import Destination, NewFollow, Notice, Target
from bot.store.database import Database
from bot.store.follows import SqlFollows
from bot.store.outbox import SqlOutbox, unsure

NOW = 1_700_000_000.0
LEASE = 60.0


async def test_a_lease_that_ran_out_or_an_unsure_retry_is_marked_on_the_next_claim(
    database: Database,
) -> None:
    outbox = SqlOutbox(database)
    asked = NewFollow(Target(display_id=42), Destination("C1"), created_by="U1")
    follow, _ = await SqlFollows(database).add(asked, now=NOW - 3600)
    notice = (Notice("health", "72", "58"),)
    await outbox.fold(follow, 42, "e1", notice, now=NOW, window_seconds=30, broadcast=False)
    [first] = await outbox.claim(now=NOW, lease_seconds=LEASE, limit=10)
    assert first.extra == {}
    [again] = await outbox.claim(now=NOW + LEASE, lease_seconds=LEASE, limit=10)
    assert float(again.extra["unsure_since"]) == NOW  # the claim before, whose lease ran out
    await outbox.retry(again.id, unsure("http_503", NOW + LEASE + 1), at=NOW + 200)
    [third] = await outbox.claim(now=NOW + 200, lease_seconds=LEASE, limit=10)
    assert float(third.extra["unsure_since"]) == NOW + LEASE + 1
    await outbox.retry(third.id, "ratelimited", at=NOW + 300)  # Slack said no: no post
    [fourth] = await outbox.claim(now=NOW + 300, lease_seconds=LEASE, limit=10)
    assert fourth.extra == {}
    await outbox.sent(fourth.id, ts="1.0", thread_ts=None, now=NOW + 301)
    await outbox.fold(follow, 42, "e2", notice, now=NOW + 20, window_seconds=30, broadcast=False)
    [edit] = await outbox.claim(now=NOW + 302, lease_seconds=LEASE, limit=10)
    [edit_again] = await outbox.claim(now=NOW + 302 + LEASE, lease_seconds=LEASE, limit=10)
    assert edit.ts == "1.0" and edit.needs_update
    assert (edit.extra, edit_again.extra) == ({}, {})  # posted: an edit is safe to repeat
