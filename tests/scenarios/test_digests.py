"""Digests reach the fake Slack: a daily follow's day once at its hour (across runners), with
what changed or "nothing changed"; a quiet hour once it is over; minimal in Slack Connect."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.follows.model import Destination, NewFollow, Notice, Target
from bot.slack.digests import DigestRunner
from tests.scenarios.harness import Harness, running_bot


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# Dates in 2030: the bot's own runner (on the real clock) finds nothing due for these follows.


def runner(bot: Harness, now: str) -> DigestRunner:
    deps = bot.deps
    return DigestRunner(deps.durable.follows, deps.durable.outbox, deps.slack, deps.sharing,
                        deps.directory, deps.cards, clock=lambda: at(now))  # fmt: skip


def posted(bot: Harness) -> list[str]:
    return [json.dumps(c.body.get("blocks"), ensure_ascii=False) + str(c.body.get("text"))
            for c in bot.slack.calls_to("chat.postMessage")]  # fmt: skip


async def test_a_daily_digest_is_posted_once_at_its_hour() -> None:
    async with running_bot() as bot:
        await bot.wait_ready()
        follows, outbox = bot.deps.durable.follows, bot.deps.durable.outbox
        daily, _ = await follows.add(
            NewFollow(Target(segment="status:at_risk"), Destination("C1"), "U0PAT", digest=True),
            now=at("2030-12-01T12:00"),
        )
        status = (Notice("status", "active", "at_risk"),)
        await outbox.digest_add(daily, "2030-12-04", 42, "e1", status)
        await outbox.digest_add(daily, "2030-12-04", 42, "e2", (Notice("mrr", "125000", "99"),))
        await outbox.digest_add(daily, "2030-12-02", 7, "e0", status)  # missed: sent late
        assert await runner(bot, "2030-12-05T08:59").send_due() == 2
        assert "2030-12-02" in posted(bot)[0] and "Globex" in posted(bot)[0]
        assert "Nothing changed." in posted(bot)[1] and "2030-12-03" in posted(bot)[1]
        # At 9:00 the 4th is due, once, whichever runner (replica) looks first.
        assert await runner(bot, "2030-12-05T09:00").send_due() == 1
        assert await runner(bot, "2030-12-05T09:01").send_due() == 0
        text = posted(bot)[2]
        assert "Daily digest for 2030-12-04" in text and "Acme Co." in text
        assert "Status: Active → At risk" in text and "MRR $1,250 → $0.99" in text
        assert "<@U0PAT>" in text


async def test_a_quiet_hour_is_sent_when_it_is_over_and_minimal_in_slack_connect() -> None:
    async with running_bot() as bot:
        await bot.wait_ready()
        bot.slack.set_channel("C9", ext_shared=True)
        follows, outbox = bot.deps.durable.follows, bot.deps.durable.outbox
        noisy, _ = await follows.add(NewFollow(Target(display_id=42), Destination("C9"), "U1"),
                                     now=at("2030-12-01T12:00"))  # fmt: skip
        changes = (Notice("status", "active", "at_risk"), Notice("health", "70", "40"))
        await outbox.digest_add(noisy, "2030-12-05T14", 42, "e1", changes)
        assert await runner(bot, "2030-12-05T14:59").send_due() == 0
        assert await runner(bot, "2030-12-05T15:00").send_due() == 1
        [text] = posted(bot)
        assert "Changes from 2030-12-05 14:00–14:59 UTC" in text
        assert "Status: Active → At risk" in text and "Health" not in text


async def test_a_follow_in_a_channel_where_cards_are_off_gets_no_digest() -> None:
    async with running_bot(external_unfurls="off") as bot:
        await bot.wait_ready()
        bot.slack.set_channel("C9", ext_shared=True)
        follows, outbox = bot.deps.durable.follows, bot.deps.durable.outbox
        daily, _ = await follows.add(
            NewFollow(Target(display_id=42), Destination("C9"), "U1", digest=True),
            now=at("2030-12-01T12:00"),
        )
        await outbox.digest_add(daily, "2030-12-04", 42, "e1", (Notice("status", "a", "b"),))
        assert await runner(bot, "2030-12-05T10:00").send_due() == 0
        assert posted(bot) == []
