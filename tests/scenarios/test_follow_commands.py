"""Following over the real HTTP path: `/customer follow|unfollow|following`, the card's Follow
buttons, a segment's Confirm, App Home's "You follow", and Slack's lifecycle events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.blocks import ids
from bot.follows import snoozes
from bot.follows.model import DEFAULT_KINDS, Destination, Follow, NewFollow, Target
from bot.follows.reasons import BOT_REMOVED, CHANNEL_ARCHIVED
from bot.sandbox.pivotal.data import sample_customers
from bot.sandbox.slack.payloads import TEAM_ID, USER_ID
from bot.sandbox.slack.server import SlackCall
from tests.scenarios.harness import Harness, running_bot

HERE = "C0GENERAL"
MY_DM = "D0PERSON"  # the fake workspace's DM between the app and USER_ID
ACME = "customer:42"


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)


def blocks_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def text_of(body: dict[str, Any]) -> str:
    return json.dumps(blocks_of(body), ensure_ascii=False) + str(body.get("text") or "")


def buttons(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every button of a message or view, by action id."""
    found: dict[str, list[dict[str, Any]]] = {}
    for block in blocks_of(body):
        elements = list(block.get("elements") or [])
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") == "button":
                found.setdefault(element["action_id"], []).append(element)
    return found


async def said(bot: Harness, text: str, *, channel_id: str = HERE) -> dict[str, Any]:
    """What `/customer text` answered: the ack's message, else the first at response_url."""
    ack, token = await bot.command(text, channel_id=channel_id)
    assert ack.status_code == 200
    if ack.content:
        return dict(ack.json())
    return await bot.answer(token)


async def posted(bot: Harness, count: int = 1) -> list[SlackCall]:
    return await bot.slack.wait_for("chat.postMessage", count=count)


async def kept(bot: Harness, target: str = ACME, channel: str = HERE) -> Follow | None:
    return await bot.deps.durable.follows.find(target, channel)


async def follow(bot: Harness, text: str, *, channel_id: str = HERE) -> None:
    """`/customer follow text` that posts its notice (waits for it)."""
    before = len(bot.slack.calls_to("chat.postMessage"))
    ack, _ = await bot.command(f"follow {text}", channel_id=channel_id)
    assert ack.status_code == 200 and not ack.content
    await posted(bot, before + 1)


async def add(bot: Harness, display_id: int, channel: str, user: str | None = None) -> Follow:
    new = NewFollow(Target(display_id=display_id), Destination(channel, user), USER_ID,
                    team_id=TEAM_ID)  # fmt: skip
    made, _ = await bot.deps.durable.follows.add(new, now=time.time())
    return made


async def send(bot: Harness, event: dict[str, Any], team_id: str = TEAM_ID) -> None:
    response = await bot.send_event(event, team_id=team_id)
    assert response.status_code == 200


def at_risk_enterprise() -> int:
    return sum(1 for c in sample_customers()
               if c["status"] == "at_risk" and c["plan"] == "enterprise")  # fmt: skip


# ---- following a customer -------------------------------------------------------------------


async def test_follow_a_customer_posts_who_set_it_up_what_it_hears_and_how_to_stop(
    bot: Harness,
) -> None:
    await follow(bot, "42")
    (post,) = bot.slack.calls_to("chat.postMessage")
    assert post.body["channel"] == HERE
    text = text_of(post.body)
    assert f"<@{USER_ID}> set this channel to follow *Acme Co.* (#42)" in text
    assert "every change, as they happen" in text
    assert "/customer unfollow 42" in text
    assert "up to" in text and "late" in text  # no webhooks: how late a change may be heard
    made = await kept(bot)
    assert made is not None
    assert (made.created_by, made.team_id, made.kinds, made.digest) == (
        USER_ID, TEAM_ID, DEFAULT_KINDS, False)  # fmt: skip
    assert made.destination == Destination(HERE)
    assert made.timezone == "Europe/London"  # the creator's, from users.info


async def test_kinds_and_a_daily_digest_at_an_hour(bot: Harness) -> None:
    await follow(bot, "acme.com status health daily at 17")
    made = await kept(bot)
    assert made is not None
    assert (made.kinds, made.digest, made.digest_hour) == ({"status", "health"}, True, 17)
    text = text_of((await posted(bot))[0].body)
    assert "status and health changes, in one message a day at 17:00 (Europe/London)" in text


async def test_following_again_says_so_and_updates_the_kinds(bot: Harness) -> None:
    await follow(bot, "42")
    again = await said(bot, "follow 42")
    assert "Already followed here" in again["text"] and "updated" not in again["text"]
    narrower = await said(bot, "follow 42 status")
    assert "Already followed here; updated" in narrower["text"]
    made = await kept(bot)
    assert made is not None and made.kinds == {"status"}
    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert len(await bot.deps.durable.follows.in_channel(HERE)) == 1


async def test_follow_just_for_me_goes_to_my_dm(bot: Harness) -> None:
    answer = await said(bot, "follow 42 me")
    assert "Following *Acme Co.* (#42) in your DM" in text_of(answer)
    (post,) = bot.slack.calls_to("chat.postMessage")
    assert post.body["channel"] == MY_DM and "You follow" in text_of(post.body)
    made = await kept(bot, channel=MY_DM)
    assert made is not None and made.destination == Destination(MY_DM, USER_ID)
    assert await kept(bot) is None


async def test_follow_in_my_own_dm_with_the_app_is_personal(bot: Harness) -> None:
    await follow(bot, "42", channel_id=MY_DM)
    made = await kept(bot, channel=MY_DM)
    assert made is not None and made.destination.user_id == USER_ID


async def test_several_matches_are_listed_not_guessed(bot: Harness) -> None:
    answer = await said(bot, "follow acme")
    assert "Several customers match acme; follow one by number" in text_of(answer)
    assert "`/customer follow 42`" in text_of(answer)
    assert bot.slack.calls_to("chat.postMessage") == []
    assert await bot.deps.durable.follows.in_channel(HERE) == []


async def test_an_unknown_customer_is_not_followed(bot: Harness) -> None:
    answer = await said(bot, "follow 999999")
    assert "#999999" in answer["text"]
    assert await bot.deps.durable.follows.in_channel(HERE) == []


# ---- following a segment --------------------------------------------------------------------


async def test_a_segment_shows_its_count_and_confirm_creates_it(bot: Harness) -> None:
    await bot.wait_ready()
    proposal = await said(bot, "follow status:at_risk plan:enterprise")
    count = at_risk_enterprise()
    assert f"*{count:,}* customer" in text_of(proposal)
    assert "customers entering or leaving it" in text_of(proposal)
    assert await bot.deps.durable.follows.in_channel(HERE) == []  # nothing before Confirm
    (confirm,) = buttons(proposal)[ids.FOLLOW_CONFIRM]
    _, token = await bot.press(confirm)
    (post,) = await posted(bot)
    assert post.body["channel"] == HERE
    notice = text_of(post.body)
    assert "the segment `status:at_risk plan:enterprise`" in notice
    assert f"({count:,} customer" in notice
    assert "/customer unfollow status:at_risk plan:enterprise" in notice
    replaced = await bot.answer(token)
    assert replaced["replace_original"] is True and "Following" in replaced["text"]
    made = await kept(bot, "segment:status:at_risk plan:enterprise")
    assert made is not None and made.target == Target(segment="status:at_risk plan:enterprise")


async def test_a_daily_segment_for_me_with_owner_me_keeps_my_email(bot: Harness) -> None:
    await bot.wait_ready()
    proposal = await said(bot, "follow mine health daily me")
    (confirm,) = buttons(proposal)[ids.FOLLOW_CONFIRM]
    assert "owner:u0person@example.com" in confirm["value"]
    await bot.press(confirm)
    await posted(bot)
    made = await kept(bot, "segment:owner:u0person@example.com", MY_DM)
    assert made is not None
    assert (made.kinds, made.digest, made.destination.user_id) == ({"health"}, True, USER_ID)


async def test_cancel_keeps_nothing(bot: Harness) -> None:
    await bot.wait_ready()
    proposal = await said(bot, "follow status:at_risk")
    (cancel,) = buttons(proposal)[ids.FOLLOW_CANCEL]
    _, token = await bot.press(cancel)
    assert "Nothing was followed" in (await bot.answer(token))["text"]
    assert await bot.deps.durable.follows.in_channel(HERE) == []


async def test_a_forged_confirm_is_refused(bot: Harness) -> None:
    button = {"type": "button", "action_id": ids.FOLLOW_CONFIRM, "value": "segment|c|root|0|9|x"}
    _, token = await bot.press(button)
    assert "out of date" in (await bot.answer(token))["text"]
    assert await bot.deps.durable.follows.in_channel(HERE) == []


# ---- refusals -------------------------------------------------------------------------------


async def test_a_private_channel_without_the_bot_is_refused_at_once(bot: Harness) -> None:
    bot.slack.set_channel("G0SECRET", private=True, member=False)
    answer = await said(bot, "follow 42", channel_id="G0SECRET")
    assert "not a member of this private channel" in answer["text"]
    assert "/invite @pivotal" in answer["text"]
    assert bot.slack.calls_to("chat.postMessage") == []
    assert await bot.deps.durable.follows.in_channel("G0SECRET") == []


async def test_a_channel_slack_will_not_describe_is_refused(bot: Harness) -> None:
    bot.slack.set_channel("C0HIDDEN", error="channel_not_found")
    answer = await said(bot, "follow status:at_risk", channel_id="C0HIDDEN")
    assert "Invite the bot" in answer["text"]
    assert await bot.deps.durable.follows.in_channel("C0HIDDEN") == []


async def test_a_public_channel_without_the_bot_is_refused_too(bot: Harness) -> None:
    bot.slack.set_channel("C0PUBLIC", member=False)
    answer = await said(bot, "follow 42", channel_id="C0PUBLIC")
    assert "not a member of <#C0PUBLIC>" in answer["text"]
    assert await bot.deps.durable.follows.in_channel("C0PUBLIC") == []


async def test_slack_connect_with_cards_off_is_refused_but_me_still_works() -> None:
    async with running_bot(external_unfurls="off") as bot:
        bot.slack.set_channel("C0CONNECT", ext_shared=True)
        answer = await said(bot, "follow 42", channel_id="C0CONNECT")
        assert "shared with another organisation" in answer["text"]
        assert await bot.deps.durable.follows.in_channel("C0CONNECT") == []
        await said(bot, "follow 42 me", channel_id="C0CONNECT")
        assert await kept(bot, channel=MY_DM) is not None


async def test_slack_connect_with_minimal_cards_may_follow(bot: Harness) -> None:
    bot.slack.set_channel("C0CONNECT", ext_shared=True)
    await follow(bot, "42", channel_id="C0CONNECT")
    assert await kept(bot, channel="C0CONNECT") is not None


async def test_a_dm_with_someone_else_is_refused(bot: Harness) -> None:
    answer = await said(bot, "follow 42", channel_id="D0SOMEONE")
    assert "not a conversation with other people" in answer["text"]
    assert await bot.deps.durable.follows.in_channel("D0SOMEONE") == []


async def test_a_refused_post_undoes_the_follow(bot: Harness) -> None:
    bot.slack.fail("chat.postMessage", "not_in_channel")
    answer = await said(bot, "follow 42")
    assert "not a member" in answer["text"]
    assert await kept(bot) is None


async def test_hostile_or_unknown_text_gets_a_clear_answer(bot: Harness) -> None:
    for text, says in (
        ("follow <@U0OTHER>", "Mentions are not customers"),
        ("follow " + "x" * 10_000, "10,000 characters"),
        ("follow 42\x07", "control characters"),
        ("follow 42 pricing", "`pricing` is not a kind of change"),
        ("follow colour:red", "colour"),
        ("follow", "Following customers and segments"),
        ("unfollow", "Following customers and segments"),
    ):
        answer = await said(bot, text)
        assert says in text_of(answer), (text, answer)
    assert await bot.deps.durable.follows.in_channel(HERE) == []
    assert bot.slack.calls_to("chat.postMessage") == []


# ---- unfollow, following, snooze ------------------------------------------------------------


async def test_unfollow_removes_it_and_tells_the_channel(bot: Harness) -> None:
    await follow(bot, "42")
    await bot.command("unfollow acme.com")
    (_, gone) = await posted(bot, 2)
    assert gone.body["channel"] == HERE and "Unfollowed *Acme Co.* (#42)" in text_of(gone.body)
    assert await kept(bot) is None
    answer = await said(bot, "unfollow 42")
    assert "This channel does not follow *Acme Co.* (#42)" in text_of(answer)


async def test_unfollow_a_segment_by_its_filter_in_any_order(bot: Harness) -> None:
    await bot.wait_ready()
    proposal = await said(bot, "follow plan:enterprise status:at_risk")
    await bot.press(buttons(proposal)[ids.FOLLOW_CONFIRM][0])
    await posted(bot)
    await bot.command("unfollow status:at_risk plan:enterprise")
    await posted(bot, 2)
    assert await bot.deps.durable.follows.in_channel(HERE) == []


async def test_following_lists_the_channels_and_mine_with_why_one_is_paused(bot: Harness) -> None:
    await follow(bot, "42")
    await add(bot, 44, MY_DM, USER_ID)
    await add(bot, 38, "C0ELSEWHERE")  # another channel's: not listed here
    await send(bot, {"type": "channel_archive", "channel": HERE, "user": "U0ADMIN"})
    await eventually(lambda: _paused(bot, HERE))
    listing = await said(bot, "following")
    text = text_of(listing)
    assert (
        f"Followed in <#{HERE}>* (1)" in text and "Your own (in your DM with the app)* (1)" in text
    )
    assert "*Acme Co.* (#42)" in text and "*Spacely Sprockets* (#44)" in text
    assert "Black Mesa" not in text
    assert f"paused: {CHANNEL_ARCHIVED}" in text
    assert f"set up by <@{USER_ID}>" in text and "last notification none yet" in text
    assert "up to" in text and "late" in text
    found = buttons(listing)
    assert len(found[ids.FOLLOW_UNFOLLOW]) == 2
    assert len(found[ids.FOLLOW_SNOOZE]) == 1  # the paused one cannot be snoozed


async def test_following_shows_the_last_error(bot: Harness) -> None:
    made = await add(bot, 42, HERE)
    await bot.deps.durable.follows.noted(made.id, at=time.time(), error="msg_too_long")
    assert "last error: msg_too_long" in text_of(await said(bot, "following"))


async def test_snooze_pauses_for_a_day_resume_and_the_waker_end_it(bot: Harness) -> None:
    await follow(bot, "42")
    listing = await said(bot, "following")
    (snooze,) = buttons(listing)[ids.FOLLOW_SNOOZE]
    _, token = await bot.press(snooze)
    redrawn = await bot.answer(token)
    assert redrawn["replace_original"] is True and "snoozed until" in text_of(redrawn)
    made = await kept(bot)
    assert made is not None and (made.paused_reason or "").startswith("snoozed until ")
    (resume,) = buttons(redrawn)[ids.FOLLOW_RESUME]
    await bot.press(resume)
    await eventually(lambda: _active(bot))
    await bot.press(snooze)
    await eventually(lambda: _paused(bot, HERE))
    follows = bot.deps.durable.follows
    assert await snoozes.wake(follows, time.time()) == 0  # not yet over
    assert await snoozes.wake(follows, time.time() + 86_400 + 60) == 1
    assert await _active(bot)


async def test_an_unfollow_button_in_the_list(bot: Harness) -> None:
    await follow(bot, "42")
    listing = await said(bot, "following")
    _, token = await bot.press(buttons(listing)[ids.FOLLOW_UNFOLLOW][0])
    redrawn = await bot.answer(token)
    assert "Nothing is followed in this channel" in text_of(redrawn)
    assert await kept(bot) is None


async def test_someone_elses_personal_follow_cannot_be_removed(bot: Harness) -> None:
    theirs = await add(bot, 42, "D0OTHER", "U0OTHER")
    button = {"type": "button", "action_id": ids.FOLLOW_UNFOLLOW,
              "value": ids.follow_value(theirs.id)}  # fmt: skip
    _, token = await bot.press(button)
    assert "only they can change it" in (await bot.answer(token))["text"]
    assert await bot.deps.durable.follows.get(theirs.id) is not None


# ---- the card's buttons, App Home -----------------------------------------------------------


async def test_the_cards_follow_buttons_follow_here_or_just_for_me(bot: Harness) -> None:
    card = await bot.lookup("42")
    found = buttons(card)
    (here,) = found[ids.FOLLOW_CHANNEL]
    (me,) = found[ids.FOLLOW_ME]
    assert here["text"]["text"] == "Follow in channel"
    await bot.press(here)
    await posted(bot)
    assert await kept(bot) is not None
    _, token = await bot.press(me)
    assert "in your DM with the app" in text_of(await bot.answer(token))
    made = await kept(bot, channel=MY_DM)
    assert made is not None and made.destination.user_id == USER_ID


async def test_customer_alone_in_a_linked_channel_offers_to_follow_it_here(bot: Harness) -> None:
    card = await bot.lookup("", channel_id="C024BE7LT")
    (here,) = buttons(card)[ids.FOLLOW_CHANNEL]
    assert here["text"]["text"] == "Follow in this channel"
    await bot.press(here, channel_id="C024BE7LT")
    await posted(bot)
    assert await kept(bot, channel="C024BE7LT") is not None


async def test_shared_cards_and_unfurls_have_no_follow_buttons(bot: Harness) -> None:
    card = await bot.lookup("42")
    (share,) = buttons(card)[ids.SHARE_CUSTOMER]
    _, token = await bot.press(share)
    shared = await bot.answer(token)
    assert ids.FOLLOW_CHANNEL not in buttons(shared)
    await bot.link_shared(["https://my.pivotal.app/customers/42"])
    (unfurl,) = await bot.slack.wait_for("chat.unfurl")
    assert ids.FOLLOW_CHANNEL not in json.dumps(unfurl.body)


async def test_home_lists_what_i_follow_and_unfollows_from_there(bot: Harness) -> None:
    mine = await add(bot, 44, MY_DM, USER_ID)
    await add(bot, 42, HERE)  # set up by me in a channel
    await bot.home_opened()
    (first,) = await bot.slack.wait_for("views.publish")
    view = first.body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    text = json.dumps(view, ensure_ascii=False)
    assert "*You follow* (2)" in text
    assert "*Spacely Sprockets* (#44) · your DM" in text and f"<#{HERE}>" in text
    home = {**view, "id": "V0HOME"}
    await bot.press_in(ids.FOLLOW_UNFOLLOW, ids.follow_value(mine.id), channel_id=None,
                       container={"type": "view", "view_id": "V0HOME"}, view=home)  # fmt: skip
    (_, second) = await bot.slack.wait_for("views.publish", count=2)
    assert "*You follow* (1)" in json.dumps(second.body["view"])
    assert await bot.deps.durable.follows.get(mine.id) is None


# ---- lifecycle events -----------------------------------------------------------------------


async def _paused(bot: Harness, channel: str) -> bool:
    follows = await bot.deps.durable.follows.in_channel(channel)
    return bool(follows) and all(not f.active for f in follows)


async def _active(bot: Harness, channel: str = HERE) -> bool:
    follows = await bot.deps.durable.follows.in_channel(channel)
    return bool(follows) and all(f.active for f in follows)


async def _reasons(bot: Harness, channel: str = HERE) -> list[str | None]:
    return [f.paused_reason for f in await bot.deps.durable.follows.in_channel(channel)]


async def test_archive_pauses_and_unarchive_resumes(bot: Harness) -> None:
    await add(bot, 42, HERE)
    await send(bot, {"type": "channel_archive", "channel": HERE, "user": "U0ADMIN"})
    await eventually(lambda: _paused(bot, HERE))
    assert await _reasons(bot) == [CHANNEL_ARCHIVED]
    await send(bot, {"type": "channel_unarchive", "channel": HERE, "user": "U0ADMIN"})
    await eventually(lambda: _active(bot))


async def test_private_channel_archive_events_too(bot: Harness) -> None:
    await add(bot, 42, "G0PRIVATE")
    await send(bot, {"type": "group_archive", "channel": "G0PRIVATE"})
    await eventually(lambda: _paused(bot, "G0PRIVATE"))
    await send(bot, {"type": "group_unarchive", "channel": "G0PRIVATE"})
    await eventually(lambda: _active(bot, "G0PRIVATE"))


async def test_a_deleted_channel_drops_its_follows(bot: Harness) -> None:
    await add(bot, 42, HERE)
    kept_elsewhere = await add(bot, 42, "C0OTHER")
    await send(bot, {"type": "channel_deleted", "channel": HERE})

    async def gone() -> bool:
        return await bot.deps.durable.follows.in_channel(HERE) == []

    await eventually(gone)
    assert await bot.deps.durable.follows.get(kept_elsewhere.id) is not None


async def test_the_bot_removed_pauses_and_invited_back_resumes(bot: Harness) -> None:
    await add(bot, 42, HERE)
    other = {"type": "member_left_channel", "user": "U0SOMEONE", "channel": HERE,
             "channel_type": "C", "team": TEAM_ID}  # fmt: skip
    await send(bot, other)
    left = {**other, "user": "U0BOT"}
    await send(bot, left)
    await eventually(lambda: _paused(bot, HERE))
    assert await _reasons(bot) == [BOT_REMOVED]  # the other person's leaving changed nothing
    await send(bot, {**left, "type": "member_joined_channel"})
    await eventually(lambda: _active(bot))


async def test_channel_left_pauses(bot: Harness) -> None:
    await add(bot, 42, HERE)
    await send(bot, {"type": "channel_left", "channel": HERE, "actor_id": "U0ADMIN"})
    await eventually(lambda: _paused(bot, HERE))
    assert await _reasons(bot) == [BOT_REMOVED]


async def test_uninstall_and_revoked_bot_tokens_drop_the_workspaces_follows(bot: Harness) -> None:
    follows = bot.deps.durable.follows
    await add(bot, 42, HERE)
    other_team = NewFollow(Target(display_id=42), Destination("C0THEIRS"), "U0X", team_id="T0OTHER")
    await follows.add(other_team, now=time.time())
    await send(bot, {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}})

    async def gone() -> bool:
        return await follows.in_channel(HERE) == []

    await eventually(gone)
    assert len(await follows.in_channel("C0THEIRS")) == 1
    await send(bot, {"type": "app_uninstalled"}, team_id="T0OTHER")

    async def theirs_gone() -> bool:
        return await follows.in_channel("C0THEIRS") == []

    await eventually(theirs_gone)
