"""Notifications reach the fake Slack exactly once: the day's thread, folded edits, Slack
Connect modes, channels out of reach (the creator told once, both buttons), ratelimits,
5xx backoff and giving up, a lost answer found in history, the overflow menu, purging.

The app's own sender is stopped; each test runs one with a clock it moves (no sleeps)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.follows.model import Destination, Follow, NewFollow, Notice, Notification, Target
from bot.sandbox.slack.clicks import pressables
from bot.sandbox.slack.payloads import USER_ID
from bot.sandbox.slack.workspace import dm_of
from bot.slack.notify import (
    CARDS_OFF,
    EVENT_TYPE,
    GIVE_UP_AFTER,
    LEASE_SECONDS,
    NOTHING_TO_SHOW,
    RETENTION_SECONDS,
    Sender,
)
from bot.slack.webapi import Pacer
from bot.state.pacer import MemoryPacer
from tests.scenarios.harness import Harness, running_bot

START = datetime(2026, 12, 5, 10, 0, tzinfo=UTC).timestamp()
HEALTH = Notice("health", "72", "58")
STATUS = Notice("status", "active", "at_risk")
OWNER = Notice("owner", "ana@acme.test", "sam@acme.test")
PLAN = Notice("plan", "growth", "enterprise")
MRR = Notice("mrr", "120000", "150000")


class Time:
    """Epoch seconds that move only when the test (or a sleep) says so."""

    def __init__(self, now: float = START):
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


class Notify:
    """The bot, a sender on a moved clock, and the stores behind it."""

    def __init__(self, bot: Harness, clock: Time):
        self.bot, self.time, self.slack = bot, clock, bot.slack
        self.follows = bot.deps.durable.follows
        self.outbox = bot.deps.durable.outbox
        deps = bot.deps
        client = AsyncWebClient(token="xoxb-test", base_url=bot.slack.base_url, retry_handlers=[])
        pacer = Pacer(MemoryPacer(monotonic=clock), sleep=clock.sleep)
        self.sender = Sender(self.follows, self.outbox, client, deps.sharing, deps.directory,
                             deps.cards, pacer=pacer, clock=clock, sleep=clock.sleep)  # fmt: skip

    async def follow(self, channel: str = "C1", display_id: int = 42, by: str = "U1") -> Follow:
        asked = NewFollow(Target(display_id=display_id), Destination(channel), created_by=by)
        follow, _ = await self.follows.add(asked, now=START - 86400)
        return follow

    async def fold(
        self, follow: Follow, key: str, *notices: Notice, at: float = 0.0, display_id: int = 42
    ) -> Notification:
        folded = await self.outbox.fold(
            follow, display_id, key, notices, now=at or self.time.now, window_seconds=30.0,
            broadcast=any(n.kind == "status" for n in notices),
        )  # fmt: skip
        assert folded is not None
        return folded

    async def send(self, at: float | None = None) -> int:
        if at is not None:
            self.time.now = at
        return await self.sender.send_due()

    def posts(self, channel: str = "C1") -> list[dict[str, Any]]:
        return [c.body for c in self.slack.calls_to("chat.postMessage")
                if c.body.get("channel") == channel]  # fmt: skip

    def updates(self) -> list[dict[str, Any]]:
        return [c.body for c in self.slack.calls_to("chat.update")]


@asynccontextmanager
async def notifying(**overrides: Any) -> AsyncIterator[Notify]:
    async with running_bot(**overrides) as bot:
        await bot.wait_ready()
        for task in bot.deps.background:  # the app's own sender runs on the real clock
            if task.get_name() == "notify":
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        clock = Time()
        bot.slack.set_clock(clock)
        yield Notify(bot, clock)


def tagged(body: dict[str, Any]) -> int:
    metadata = body["metadata"]
    assert metadata["event_type"] == EVENT_TYPE
    return int(metadata["event_payload"]["notification_id"])


async def test_the_days_first_notification_is_the_parent_and_later_ones_reply_in_its_thread() -> (
    None
):
    async with notifying() as n:
        follow = await n.follow()
        first = await n.fold(follow, "e1", HEALTH)
        assert await n.send() == 1
        [parent] = n.posts()
        assert tagged(parent) == first.id and "thread_ts" not in parent
        assert "Acme Co." in parent["text"] and "Health 72 → 58" in parent["text"]
        assert parent["unfurl_links"] is False
        parent_ts = n.slack.posted("C1")[0]["ts"]
        status = await n.fold(follow, "e2", STATUS, at=START + 60)  # past the fold window
        assert await n.send(START + 60) == 1
        reply = n.posts()[1]
        assert (reply["thread_ts"], reply["reply_broadcast"], tagged(reply)) == (
            parent_ts, True, status.id)  # fmt: skip
        assert "Status: Active → At risk" in reply["text"]
        [edit] = n.updates()
        assert edit["ts"] == parent_ts and "Latest (10:01 UTC): Status: Active → At risk" in str(
            edit["blocks"]
        )
        await n.fold(follow, "e3", PLAN, at=START + 120)
        assert await n.send(START + 120) == 1
        plan = n.posts()[2]
        assert (plan["thread_ts"], plan["reply_broadcast"]) == (parent_ts, False)
        assert "Plan growth → enterprise" in plan["text"]
        assert len(n.posts()) == 3 and len(n.updates()) == 2
        # A change folded into the reply edits it, and the parent shows it as the latest.
        await n.fold(follow, "e3b", OWNER, at=START + 130)
        assert await n.send(START + 130) == 1
        reply_edit, parent_edit = n.updates()[2:]
        assert reply_edit["ts"] != parent_ts and "2 changes" in reply_edit["text"]
        assert parent_edit["ts"] == parent_ts and "Owner → sam@acme.test" in str(parent_edit)
        assert await n.send(START + 600) == 0  # nothing is sent twice
        # The next day starts a thread of its own.
        await n.fold(follow, "e4", HEALTH, at=START + 86400)
        assert await n.send(START + 86400) == 1
        assert "thread_ts" not in n.posts()[3]
        assert (await n.follows.get(follow.id)).last_notified_at == START + 86400  # type: ignore[union-attr]


async def test_a_change_folded_in_after_the_post_edits_the_message() -> None:
    async with notifying() as n:
        follow = await n.follow()
        await n.fold(follow, "e1", HEALTH)
        assert await n.send() == 1
        ts = n.slack.posted("C1")[0]["ts"]
        await n.fold(follow, "e2", PLAN, Notice("owner", "ana@acme.test", "sam@acme.test"),
                     at=START + 10)  # fmt: skip
        assert await n.send(START + 11) == 1
        assert len(n.posts()) == 1
        [edit] = n.updates()
        assert edit["ts"] == ts
        assert edit["text"].startswith("Acme Co. (#42): 3 changes: Health 72 → 58, Plan growth")
        assert "Owner → sam@acme.test" in edit["text"]
        kept = n.slack.posted("C1")[0]
        assert kept["text"] == edit["text"] and kept["metadata"]["event_type"] == EVENT_TYPE


async def test_slack_connect_minimal_leaves_internal_fields_out() -> None:
    async with notifying() as n:
        n.slack.set_channel("C9", ext_shared=True)
        follow = await n.follow("C9")
        await n.fold(follow, "e1", STATUS, HEALTH, MRR)
        assert await n.send() == 1
        [post] = n.posts("C9")
        text = post["text"] + str(post["blocks"])
        assert "Status: Active → At risk" in text
        assert "Health" not in text and "MRR" not in text and "$1" not in text
        only_money = await n.fold(follow, "e2", MRR, display_id=7, at=START + 60)
        assert await n.send(START + 60) == 0
        assert len(n.posts("C9")) == 1
        stats = await n.outbox.stats(now=START + 60)
        assert stats.failed_by_reason == {NOTHING_TO_SHOW: 1} and only_money.id


async def test_slack_connect_with_cards_off_sends_nothing_and_pauses_the_follow() -> None:
    async with notifying(external_unfurls="off") as n:
        n.slack.set_channel("C9", ext_shared=True)
        follow = await n.follow("C9")
        await n.fold(follow, "e1", STATUS)
        assert await n.send() == 0
        assert n.posts("C9") == []
        paused = await n.follows.get(follow.id)
        assert paused is not None and paused.paused_reason == CARDS_OFF
        [told] = n.posts(dm_of("U1"))
        assert "stopped" in told["text"]


async def test_a_channel_out_of_reach_pauses_the_follow_and_tells_its_creator_once() -> None:
    async with notifying() as n:
        n.slack.fail_channel("C1", "chat.postMessage", "not_in_channel")
        follow = await n.follow(by=USER_ID)
        other = await n.follow(display_id=7, by=USER_ID)
        await n.fold(follow, "e1", HEALTH)
        await n.fold(other, "e1", HEALTH, display_id=7)
        assert await n.send() == 0
        assert (await n.follows.get(follow.id)).paused_reason.startswith(  # type: ignore[union-attr]
            "the app is not in the channel"
        )
        dm = dm_of(USER_ID)
        told, second = n.posts(dm)  # once per follow stopped
        assert "customer #42" in told["text"] and "customer #7" in second["text"]
        assert "not_in_channel" in told["text"]
        [buttons] = [b for b in told["blocks"] if b["type"] == "actions"]
        labels = [e["text"]["text"] for e in buttons["elements"]]
        assert labels == ["Send to my DM instead", "Delete the follow"]
        stats = await n.outbox.stats(now=START)
        assert stats.by_status["failed"] == 2 and stats.by_status["pending"] == 0
        again = await n.fold(follow, "e2", STATUS, at=START + 60)
        assert await n.send(START + 60) == 0 and again.id  # paused: not even claimed
        assert len(n.posts(dm)) == 2  # told once only
        # Send to my DM instead: the same follow, now to the creator's DM.
        move = {"type": "button", **buttons["elements"][0]}
        ack, token = await n.bot.press(move, channel_id=dm, ephemeral=False, message=told)
        assert ack.status_code == 200
        answer = await n.bot.answer(token)
        assert answer["replace_original"] is True and "Moved" in answer["text"]
        assert await n.follows.get(follow.id) is None
        moved = await n.follows.find(follow.target.key, dm)
        assert moved is not None and moved.destination.user_id == USER_ID and moved.active
        # Delete the follow.
        paused = await n.follows.get(other.id)
        assert paused is not None and not paused.active
        delete = {"type": "button", **buttons["elements"][1], "value": str(other.id)}
        _, token = await n.bot.press(delete, channel_id=dm, ephemeral=False, message=told)
        assert "Deleted" in (await n.bot.answer(token))["text"]
        assert await n.follows.get(other.id) is None


async def test_ratelimited_waits_for_retry_after() -> None:
    async with notifying() as n:
        n.slack.fail_channel("C1", "chat.postMessage", "ratelimited", status=429, retry_after=30,
                             count=1)  # fmt: skip
        follow = await n.follow()
        await n.fold(follow, "e1", HEALTH)
        assert await n.send() == 0
        assert n.slack.posted("C1") == []
        assert await n.send(START + 29) == 0
        assert len(n.posts()) == 1  # the refused one only: nothing tried before Retry-After
        assert await n.send(START + 30) == 1
        assert len(n.slack.posted("C1")) == 1
        assert n.slack.calls_to("conversations.history") == []  # a 429 posted nothing


async def test_5xx_retries_with_backoff_then_gives_up_after_24_hours() -> None:
    async with notifying() as n:
        n.slack.fail_channel("C1", "chat.postMessage", "service_unavailable", status=503)
        follow = await n.follow()
        row = await n.fold(follow, "e1", HEALTH)
        assert await n.send() == 0
        assert len(n.posts()) == 1
        assert await n.send(START + 4) == 0 and len(n.posts()) == 1  # backoff: 5 s first
        assert await n.send(START + 5) == 0 and len(n.posts()) == 2
        assert len(n.slack.calls_to("conversations.history")) == 1  # looked before again
        assert await n.send(START + 14) == 0 and len(n.posts()) == 2  # then 10 s (+ its turn)
        assert await n.send(START + 20) == 0 and len(n.posts()) == 3
        at = START + 20
        while at < START + GIVE_UP_AFTER + 1200:
            at += 120
            await n.send(at)
        tries = len(n.posts())
        assert 100 < tries < 200  # about every 10 minutes (the cap), for a day
        stats = await n.outbox.stats(now=at)
        assert stats.failed_by_reason == {"gave up after 24 h: service_unavailable": 1}
        assert await n.send(at + 3600) == 0 and len(n.posts()) == tries
        assert row.id


async def test_a_post_whose_answer_was_lost_is_found_in_history_and_not_posted_again() -> None:
    async with notifying() as n:
        follow = await n.follow()
        row = await n.fold(follow, "e1", HEALTH)
        [claimed] = await n.outbox.claim(now=START, lease_seconds=LEASE_SECONDS, limit=10)
        assert claimed.id == row.id
        # The replica that claimed it posted, then died before marking it sent.
        client = AsyncWebClient(token="xoxb-test", base_url=n.slack.base_url)
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"notification_id": row.id}}
        n.time.now = START + 1
        await client.chat_postMessage(channel="C1", text="posted", metadata=metadata)
        await client.chat_postMessage(channel="C1", text="someone else talking")
        assert await n.send(START + LEASE_SECONDS - 1) == 0  # leased still
        assert await n.send(START + LEASE_SECONDS + 1) == 1  # found, not posted
        assert len(n.slack.posted("C1")) == 2
        [look] = n.slack.calls_to("conversations.history")
        assert look.body["include_all_metadata"] in (True, "1", "true")
        assert float(look.body["oldest"]) < START
        thread = await n.outbox.thread("C1", 42, "2026-12-05")
        assert thread is not None and thread.id == row.id
        assert thread.ts == n.slack.posted("C1")[0]["ts"]
        # A reply lost the same way is found in the thread (replies are not in history).
        reply = await n.fold(follow, "e2", STATUS, at=START + 300)
        [claimed] = await n.outbox.claim(now=START + 300, lease_seconds=LEASE_SECONDS, limit=10)
        tag = {"event_type": EVENT_TYPE, "event_payload": {"notification_id": reply.id}}
        n.time.now = START + 301
        await client.chat_postMessage(channel="C1", text="reply", thread_ts=thread.ts, metadata=tag)
        assert await n.send(START + 300 + LEASE_SECONDS + 1) == 1
        assert len(n.slack.posted("C1")) == 3
        assert n.slack.calls_to("conversations.replies")
        # A row whose lease ran out without a post is posted once.
        before = len(n.posts())
        third = await n.fold(follow, "e3", PLAN, at=START + 900)
        await n.outbox.claim(now=START + 900, lease_seconds=LEASE_SECONDS, limit=10)
        assert await n.send(START + 900 + LEASE_SECONDS + 1) == 1
        assert [tagged(p) for p in n.posts()[before:]] == [third.id]


async def test_snooze_and_unfollow_from_the_overflow_menu() -> None:
    async with notifying() as n:
        follow = await n.follow(by=USER_ID)
        await n.fold(follow, "e1", HEALTH)
        assert await n.send() == 1
        posted = n.slack.posted("C1")[0]
        [menu] = [p for p in pressables(posted["blocks"]) if p.kind == "overflow"]
        assert menu.element["action_id"] == ids.NOTIFICATION_MENU
        labels = [o["text"]["text"] for o in menu.options()]
        assert labels == ["Snooze this customer here for a day",
                          "Snooze this customer here for a week", "Unfollow"]  # fmt: skip
        message = {"text": posted["text"], "blocks": posted["blocks"]}
        _, token = await n.bot.press(menu.action("1"), channel_id="C1", ephemeral=False,
                                     message=message, message_ts=posted["ts"])  # fmt: skip
        answer = await n.bot.answer(token)
        assert answer["response_type"] == "ephemeral" and "snoozed here for a day" in answer["text"]
        now = time.time()
        assert await n.outbox.snoozed("C1", 42, now=now + 3600)
        assert not await n.outbox.snoozed("C1", 42, now=now + 86400 + 60)
        _, token = await n.bot.press(menu.action("2"), channel_id="C1", ephemeral=False,
                                     message=message, message_ts=posted["ts"])  # fmt: skip
        assert "for a week" in (await n.bot.answer(token))["text"]
        assert await n.outbox.snoozed("C1", 42, now=now + 6 * 86400)
        # What was owed already stays unsaid while the customer is snoozed here.
        await n.fold(follow, "e2", STATUS, at=n.time.now + 60)
        assert await n.send(n.time.now + 60) == 0
        assert len(n.slack.posted("C1")) == 1
        _, token = await n.bot.press(menu.action("3"), channel_id="C1", ephemeral=False,
                                     message=message, message_ts=posted["ts"])  # fmt: skip
        assert "Unfollowed" in (await n.bot.answer(token))["text"]
        assert await n.follows.get(follow.id) is None


async def test_sent_rows_are_purged_after_the_retention_once_an_hour() -> None:
    async with notifying() as n:
        follow = await n.follow()
        await n.fold(follow, "e1", HEALTH)
        assert await n.send() == 1
        await n.fold(follow, "e2", HEALTH, display_id=7, at=START + RETENTION_SECONDS - 10)
        assert await n.send(START + RETENTION_SECONDS - 10) == 1
        assert await n.sender.purge(START + RETENTION_SECONDS - 5) == 0  # not old enough
        assert await n.sender.purge(START + RETENTION_SECONDS + 60) == 0  # within the hour
        assert await n.sender.purge(START + RETENTION_SECONDS + 3600) == 1
        stats = await n.outbox.stats(now=START + RETENTION_SECONDS + 3600)
        assert stats.by_status["sent"] == 1


async def test_blocks_slack_refuses_still_send_the_words_once() -> None:
    async with notifying() as n:
        n.slack.fail_channel("C1", "chat.postMessage", "invalid_blocks", count=1)
        follow = await n.follow()
        row = await n.fold(follow, "e1", HEALTH)
        assert await n.send() == 1
        [kept] = n.slack.posted("C1")
        assert "blocks" not in kept and kept["text"] == "Acme Co. (#42): Health 72 → 58"
        assert kept["metadata"]["event_payload"]["notification_id"] == row.id
        noted = await n.follows.get(follow.id)
        assert noted is not None and noted.last_error is None and noted.last_notified_at


async def test_the_apps_own_sender_delivers_in_the_background() -> None:
    async with running_bot() as bot:
        await bot.wait_ready()
        follows, outbox = bot.deps.durable.follows, bot.deps.durable.outbox
        asked = NewFollow(Target(display_id=42), Destination("C1"), created_by="U1")
        follow, _ = await follows.add(asked, now=time.time())
        row = await outbox.fold(follow, 42, "e1", (HEALTH,), now=time.time(), window_seconds=30,
                                broadcast=False)  # fmt: skip
        assert row is not None and bot.deps.sender is not None
        bot.deps.sender.wake()
        [call] = await bot.slack.wait_for("chat.postMessage")
        assert tagged(call.body) == row.id
        page = (await bot.http.get(f"{bot.url}/metrics")).text
        assert 'pivotal_bot_notifications_total{outcome="sent",reason=""}' in page
        assert "pivotal_bot_outbox_notifications" in page


async def test_a_held_channel_waits_its_turn_others_do_not_and_each_goes_once() -> None:
    async with notifying() as n:
        n.slack.fail_channel("C1", "chat.postMessage", "ratelimited", status=429, retry_after=30,
                             count=1)  # fmt: skip
        follows = [await n.follow(display_id=d) for d in range(1, 13)]
        for follow in follows:
            await n.fold(follow, "e1", HEALTH, display_id=follow.target.display_id or 0)
        await n.fold(await n.follow("C2"), "e1", HEALTH)
        assert await n.send() == 1  # C2's; C1's wait for Retry-After, asked once
        assert len(n.posts("C2")) == 1 and len(n.posts("C1")) == 1
        for _ in range(60):
            await n.send(n.time.now + 1)
        kept = n.slack.posted("C1")
        assert len(kept) == 12 and len(n.posts("C1")) == 13  # the refused one, then each once
        owed = sorted(r.id for r in await _rows(n, "C1"))
        assert sorted(tagged(p) for p in n.posts("C1")[1:]) == owed
        stamps = [float(m["ts"]) for m in kept]
        assert stamps[0] >= START + 30
        assert all(b - a >= 0.999 for a, b in itertools.pairwise(stamps))


async def _rows(n: Notify, channel: str) -> list[Notification]:
    rows = []
    for follow in await n.follows.in_channel(channel):
        found = await n.outbox.thread(channel, follow.target.display_id or 0, "2026-12-05")
        assert found is not None
        rows.append(found)
    return rows
