"""Follow messages are valid Block Kit, inert where customer text appears, within limits."""

from __future__ import annotations

import dataclasses

from bot.blocks import follow as blocks
from bot.blocks import ids
from bot.blocks.surfaces import home_view
from bot.follows.model import DEFAULT_KINDS, Destination, Follow, Target
from tests.blockkit import assert_inert, block_kit_problems

HOSTILE = "<!channel> Acme & <https://evil.example|Co> `x`"


def follow(n: int, **changes: object) -> Follow:
    made = Follow(Target(display_id=n), Destination("C0GENERAL"), "U0PERSON", id=n,
                  created_at=1_796_000_000.0)  # fmt: skip
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


def test_labels_of_hostile_names_and_segments_are_inert() -> None:
    assert_inert(blocks.customer_label(HOSTILE, 42))
    assert_inert(blocks.segment_label(HOSTILE))
    assert blocks.customer_label("", 7) == "customer *#7*"


def test_the_list_of_many_follows_stays_within_slacks_limits() -> None:
    many = [blocks.Shown(follow(n), blocks.customer_label(HOSTILE, n)) for n in range(1, 40)]
    mine = [blocks.Shown(follow(99, destination=Destination("D0PERSON", "U0PERSON"),
                                paused_reason="snoozed until 2026-12-06 14:15 UTC",
                                last_error="x" * 5000), "customer *#99*")]  # fmt: skip
    message = blocks.following_list(many, mine, channel_id="C0GENERAL", delay_seconds=600)
    assert block_kit_problems(message.blocks) == []
    text = str(message.blocks)
    assert "…and 19 more." in text and "up to 10 minutes late" in text
    assert "C0GENERAL" in text


def test_paused_follows_show_why_and_a_snoozed_one_can_be_resumed() -> None:
    snoozed = follow(1, paused_reason="snoozed until 2026-12-06 14:15 UTC")
    archived = follow(2, paused_reason="channel archived")
    rows = [blocks.Shown(snoozed, "a"), blocks.Shown(archived, "b")]
    message = blocks.following_list(rows, [], channel_id="C0GENERAL", delay_seconds=None)
    assert block_kit_problems(message.blocks) == []
    actions = [[e["action_id"] for e in b["elements"]] for b in message.blocks
               if b["type"] == "actions"]  # fmt: skip
    assert actions == [[ids.FOLLOW_UNFOLLOW, ids.FOLLOW_RESUME], [ids.FOLLOW_UNFOLLOW]]
    assert "paused: channel archived" in str(message.blocks)
    assert "late" not in str(message.blocks)  # webhooks: no delay to mention


def test_confirmation_followed_and_home_are_valid() -> None:
    asked = blocks.Asked("status:at_risk " + "x" * 1900, DEFAULT_KINDS, True, 9, False)
    assert blocks.fits(asked)
    assert not blocks.fits(dataclasses.replace(asked, segment="x" * 2000))
    label = blocks.segment_label(asked.segment)
    confirm = blocks.confirmation(asked, 1234, label, timezone="Europe/London")
    assert block_kit_problems(confirm.blocks) == []
    assert "*1,234* customers match now" in str(confirm.blocks)
    notice = blocks.followed(label, frozenset({"status", "mrr"}), by="U0PERSON", personal=False,
                             segment=True, digest=True, hour=17, timezone="Europe/London",
                             stop="/customer unfollow status:at_risk", count=1,
                             delay_seconds=60)  # fmt: skip
    assert block_kit_problems(notice.blocks) == []
    said = str(notice.blocks)
    assert "<@U0PERSON> set this channel to follow" in said
    assert "status and MRR changes of its customers" in said and "1 customer in it" in said
    assert "up to 1 minute late" in said
    rows = [blocks.Shown(follow(n), f"customer *#{n}*") for n in range(20)]
    view = home_view([], [], [], rows)
    assert block_kit_problems(view["blocks"], surface="home") == []
    assert "…and 5 more" in str(view["blocks"])
    assert "You follow" not in str(home_view([], [], [], None)["blocks"])
