"""Following customers and segments: `/customer follow|unfollow|following`, the card's Follow
buttons, a segment's Confirm, and the Unfollow / Snooze / Resume buttons of lists and Home.

Refusals come before anything is kept: a conversation with other people, a channel the
bot is not a member of (its notifications could not be posted), a Slack Connect channel
where cards are off. A customer follow is kept at once and announced in the channel; a
segment follow first shows how many customers match now and waits for Confirm. Snoozing a
follow pauses it with a dated reason (bot/follows/reasons.py); bot/follows/snoozes.py
resumes it when the day is over.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks import follow as blocks
from bot.blocks import ids
from bot.blocks.message import CardMode, Message
from bot.follows.model import Destination, Follow, NewFollow, Target
from bot.follows.reasons import snooze_end, snoozed_until
from bot.follows.text import FollowProblem, FollowText, canonical_segment, parse_follow, with_owner
from bot.logs import event
from bot.lookup.durable import StoreUnavailable
from bot.lookup.filters import Filter, parse_filter
from bot.lookup.query import IdQuery, Query
from bot.lookup.service import Found, Matches
from bot.slack import home
from bot.slack.deps import ListenerDeps
from bot.slack.follow_labels import shown
from bot.slack.listen import Reply, listen
from bot.slack.people import Person
from bot.slack.recents import user_of
from bot.slack.render import render
from bot.slack.replies import reply, tell
from bot.slack.webapi import SlackCallFailed, call, logged

log = logging.getLogger(__name__)

READY_WAIT = 10.0  # seconds a segment's count waits for the first walk of the customer list
SNOOZE_SECONDS = 86_400.0


@dataclass(frozen=True)
class Asker:
    """Who asked, from where: the user, the conversation, its name and the workspace."""

    user: str
    channel: str
    channel_name: str = ""
    team: str | None = None


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.action(ids.FOLLOW_CHANNEL), deps, on_follow_button)
    listen(app.action(ids.FOLLOW_ME), deps, on_follow_button)
    listen(app.action(ids.FOLLOW_CONFIRM), deps, on_confirm)
    listen(app.action(ids.FOLLOW_CANCEL), deps, on_cancel)
    listen(app.action(ids.FOLLOW_UNFOLLOW), deps, on_unfollow_button)
    listen(app.action(ids.FOLLOW_SNOOZE), deps, on_snooze_button)
    listen(app.action(ids.FOLLOW_RESUME), deps, on_resume_button)


# ---- the commands ---------------------------------------------------------------------------


def _parsed(deps: ListenerDeps, args: AsyncArgs, text: str) -> tuple[Asker, FollowText] | Reply:
    """Who asked and what they asked for, or the answer to text that is not a follow."""
    asker = _asker_of_command(args.command or {})
    if not text:
        return Reply.card(blocks.usage())
    parsed = parse_follow(text, app_url=deps.app_url, channel_id=asker.channel)
    if isinstance(parsed, FollowProblem):
        return Reply.card(blocks.problem(parsed.message, show_usage=parsed.usage))
    return asker, parsed


def on_follow(deps: ListenerDeps, args: AsyncArgs, text: str) -> Reply:
    """`/customer follow <customer or segment> [kinds] [daily [at H]] [me]`."""
    found = _parsed(deps, args, text)
    if isinstance(found, Reply):
        return found
    (asker, parsed), respond = found, args.respond
    if parsed.segment is not None:
        return Reply(later=lambda: _guarded(respond, propose_segment(deps, parsed, asker, respond)))
    return Reply(later=lambda: _guarded(respond, follow_customer(deps, parsed, asker, respond)))


def on_unfollow(deps: ListenerDeps, args: AsyncArgs, text: str) -> Reply:
    """`/customer unfollow <customer or segment> [me]`."""
    found = _parsed(deps, args, text)
    if isinstance(found, Reply):
        return found
    (asker, parsed), respond = found, args.respond
    return Reply(later=lambda: _guarded(respond, unfollow(deps, parsed, asker, respond)))


def on_following(deps: ListenerDeps, args: AsyncArgs, text: str) -> Reply:
    """`/customer following`: this conversation's follows and the asker's own."""
    asker, respond = _asker_of_command(args.command or {}), args.respond

    async def show() -> None:
        await reply(respond, await following_message(deps, asker), response_type="ephemeral")

    return Reply(later=lambda: _guarded(respond, show()))


# ---- following a customer -------------------------------------------------------------------


async def follow_customer(
    deps: ListenerDeps, asked: FollowText, asker: Asker, respond: AsyncRespond
) -> None:
    assert asked.query is not None
    where = await destination(deps, asker, personal=asked.personal)
    if isinstance(where, Message):
        await tell(respond, where)
        return
    outcome = await deps.lookup.resolve(asked.query)
    if isinstance(outcome, Matches):
        found = [(s.customer.name, s.customer.display_id) for s in outcome.snapshots]
        await tell(respond, blocks.several(outcome.text, found))
        return
    if not isinstance(outcome, Found):
        await tell(respond, render(outcome, deps.cards))
        return
    customer = outcome.snapshot.customer
    label = blocks.customer_label(customer.name, customer.display_id)
    target = Target(display_id=customer.display_id)
    stop = f"/customer unfollow {customer.display_id}{' me' if where.personal else ''}"
    await create(deps, asked, asker, where, target, label, respond, stop=stop)


async def create(
    deps: ListenerDeps,
    asked: FollowText,
    asker: Asker,
    where: Destination,
    target: Target,
    label: str,
    respond: AsyncRespond,
    *,
    stop: str,
    count: int | None = None,
    replace: bool = False,
) -> None:
    """Keep the follow, then announce it where it notifies (a refused post undoes it)."""
    timezone = await _timezone(deps, asker.user)
    new = NewFollow(target, where, created_by=asker.user, kinds=asked.kinds, digest=asked.digest,
                    digest_hour=asked.hour, timezone=timezone, team_id=asker.team)  # fmt: skip
    before = await deps.follows.find(target.key, where.channel_id)
    follow, created = await deps.follows.add(new, now=time.time())
    segment = target.segment is not None
    if not created:
        changed = before is None or not before.active or _settings(before) != _settings(follow)
        message = blocks.already(label, follow.kinds, segment=segment, digest=follow.digest,
                                 hour=follow.digest_hour, timezone=follow.timezone,
                                 changed=changed)  # fmt: skip
        await _answer(respond, message, replace=replace)
        return
    notice = blocks.followed(label, follow.kinds, by=asker.user, personal=where.personal,
                             segment=segment, digest=follow.digest, hour=follow.digest_hour,
                             timezone=follow.timezone, stop=stop, count=count,
                             delay_seconds=deps.change_delay_seconds)  # fmt: skip
    try:
        await _post(deps, where.channel_id, notice)
    except SlackCallFailed as failed:
        logged(failed, "follow.announce_failed", channel=where.channel_id)
        await deps.follows.remove(follow.id)
        refusal = (
            blocks.not_a_member(where.channel_id, private=False)
            if failed.error in ("not_in_channel", "channel_not_found")
            else blocks.problem(f"Slack did not take the message ({failed.error}); "
                                "nothing was followed. Try again.")
        )  # fmt: skip
        await _answer(respond, refusal, replace=replace)
        return
    event(log, "follow.created", follow=follow.id, target=target.key, channel=where.channel_id,
          personal=where.personal, user=asker.user, digest=follow.digest)  # fmt: skip
    if where.personal or replace:
        await _answer(respond, blocks.done(label, personal=where.personal), replace=replace)


# ---- following a segment --------------------------------------------------------------------


async def propose_segment(
    deps: ListenerDeps, asked: FollowText, asker: Asker, respond: AsyncRespond
) -> None:
    """The confirmation: how many customers match now, and Confirm / Cancel."""
    assert asked.segment is not None
    where = await destination(deps, asker, personal=asked.personal)
    if isinstance(where, Message):
        await tell(respond, where)
        return
    segment = await _own_segment(deps, asked.segment, asker.user)
    if segment is None:
        await tell(respond, blocks.email_unknown())
        return
    count = await _count(deps, segment)
    if count is None:
        await tell(respond, blocks.problem("The customer list is still loading; try again."))
        return
    text = canonical_segment(segment)
    label = blocks.segment_label(text)
    kept = await deps.follows.find(Target(segment=text).key, where.channel_id)
    if kept is not None and kept.active and _settings(kept) == _wanted(asked):
        message = blocks.already(label, kept.kinds, segment=True, digest=kept.digest,
                                 hour=kept.digest_hour, timezone=kept.timezone,
                                 changed=False)  # fmt: skip
        await tell(respond, message)
        return
    request = blocks.Asked(text, asked.kinds, asked.digest, asked.hour, where.personal)
    if not blocks.fits(request):
        await tell(respond, blocks.problem("That segment is too long to follow; shorten it."))
        return
    timezone = await _timezone(deps, asker.user)
    await reply(respond, blocks.confirmation(request, count, label, timezone=timezone),
                response_type="ephemeral")  # fmt: skip


def on_confirm(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    """Confirm on a segment's confirmation: the follow, announced; the confirmation replaced."""
    request = blocks.request_of(args.action or {})
    asker, respond = _asker_of_action(args.body), args.respond

    async def confirm() -> None:
        segment = parse_filter(request.segment) if request is not None else None
        if request is None or not isinstance(segment, Filter):
            await _answer(respond, blocks.problem("That button is out of date; follow again."),
                          replace=True)  # fmt: skip
            return
        where = await destination(deps, asker, personal=request.personal)
        if isinstance(where, Message):
            await _answer(respond, where, replace=True)
            return
        asked = FollowText(None, segment, request.kinds, request.digest, request.hour,
                           request.personal)  # fmt: skip
        text = canonical_segment(segment)
        count = await _count(deps, segment)
        stop = f"/customer unfollow {text}{' me' if where.personal else ''}"
        await create(deps, asked, asker, where, Target(segment=text), blocks.segment_label(text),
                     respond, stop=stop, count=count, replace=True)  # fmt: skip

    return Reply(later=lambda: _guarded(respond, confirm(), replace=True))


def on_cancel(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    respond = args.respond
    return Reply(later=lambda: _answer(respond, blocks.cancelled(), replace=True))


# ---- the card's Follow buttons --------------------------------------------------------------


def on_follow_button(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    """A card's "Follow in channel" / "Follow just for me"."""
    action = args.action or {}
    ref, asker, respond = ids.customer_of(action), _asker_of_action(args.body), args.respond
    personal = action.get("action_id") == ids.FOLLOW_ME

    async def follow() -> None:
        if ref is None or not asker.channel:
            await tell(respond, blocks.problem("That button is out of date; run /customer again."))
            return
        asked = FollowText(query=IdQuery(ref), personal=personal)
        await follow_customer(deps, asked, asker, respond)

    return Reply(later=lambda: _guarded(respond, follow()))


# ---- unfollowing and listing ----------------------------------------------------------------


async def unfollow(
    deps: ListenerDeps, asked: FollowText, asker: Asker, respond: AsyncRespond
) -> None:
    where = await destination(deps, asker, personal=asked.personal, check_channel=False)
    if isinstance(where, Message):
        await tell(respond, where)
        return
    if asked.segment is not None:
        segment = await _own_segment(deps, asked.segment, asker.user)
        if segment is None:
            await tell(respond, blocks.email_unknown())
            return
        text = canonical_segment(segment)
        target, label = Target(segment=text), blocks.segment_label(text)
    else:
        found = await _customer(deps, asked.query, respond)
        if found is None:
            return
        target, label = found
    kept = await deps.follows.find(target.key, where.channel_id)
    if kept is None:
        await tell(respond, blocks.not_following(label, personal=where.personal))
        return
    await deps.follows.remove(kept.id)
    event(log, "follow.removed", follow=kept.id, target=target.key, user=asker.user)
    await _announce_unfollow(deps, kept, label, asker.user, respond)


async def following_message(deps: ListenerDeps, asker: Asker) -> Message:
    here = await deps.follows.in_channel(asker.channel) if asker.channel else []
    seen = {f.id for f in here}
    own = [f for f in await deps.follows.of_user(asker.user) if f.id not in seen]
    return blocks.following_list(
        shown(deps, here), shown(deps, own), channel_id=asker.channel,
        delay_seconds=deps.change_delay_seconds,
    )  # fmt: skip


def on_unfollow_button(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    return _follow_button(deps, args, "unfollow")


def on_snooze_button(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    return _follow_button(deps, args, "snooze")


def on_resume_button(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    return _follow_button(deps, args, "resume")


def _follow_button(deps: ListenerDeps, args: AsyncArgs, what: str) -> Reply:
    """Unfollow / Snooze / Resume in `following` or on App Home: done, then redrawn."""
    follow_id = ids.follow_of(args.action or {})
    body, respond = args.body, args.respond
    asker = _asker_of_action(body)
    on_home = (body.get("container") or {}).get("type") == "view"

    async def press() -> None:
        follow = await deps.follows.get(follow_id) if follow_id is not None else None
        if follow is None:
            if not on_home:
                await tell(respond, blocks.problem("That follow is gone already."))
        elif follow.destination.personal and follow.destination.user_id != asker.user:
            if not on_home:
                await tell(respond, blocks.not_yours())
        else:
            await _apply(deps, follow, what, asker)
        if on_home:
            await _republish_home(deps, asker.user)
        else:
            message = await following_message(deps, asker)
            await _answer(respond, message, replace=True)

    return Reply(later=lambda: _guarded(respond, press()))


async def _apply(deps: ListenerDeps, follow: Follow, what: str, asker: Asker) -> None:
    if what == "unfollow":
        await deps.follows.remove(follow.id)
        event(log, "follow.removed", follow=follow.id, user=asker.user, surface="button")
    elif what == "snooze":
        reason = snoozed_until(time.time() + SNOOZE_SECONDS)
        await deps.follows.pause(follow.id, reason)
        event(log, "follow.snoozed", follow=follow.id, user=asker.user)
    elif snooze_end(follow.paused_reason) is not None:
        await deps.follows.resume(follow.id)
        event(log, "follow.resumed", follow=follow.id, user=asker.user)


async def _republish_home(deps: ListenerDeps, user: str) -> None:
    view = await home.home_for(deps, user)
    try:
        await call("views.publish", deps.slack.views_publish(user_id=user, view=view))
    except SlackCallFailed as failed:
        logged(failed, "slack.home.publish_failed", user=user)


# ---- where a follow notifies, and the refusals ----------------------------------------------


async def destination(
    deps: ListenerDeps, asker: Asker, *, personal: bool, check_channel: bool = True
) -> Destination | Message:
    """Where notifications go, or why they cannot go there (said before anything is kept)."""
    channel = asker.channel
    is_dm = channel.startswith("D")
    group_dm = asker.channel_name.startswith("mpdm-") or asker.channel_name == "directmessage"
    if personal or is_dm:
        dm = await _open_dm(deps, asker.user)
        if dm is None:
            return blocks.problem("Slack would not open your DM with the app; try again.")
        if personal or channel == dm:
            return Destination(dm, asker.user)
        return blocks.only_channels()
    if group_dm or channel[:1] not in ("C", "G"):
        return blocks.only_channels()
    if not check_channel:
        return Destination(channel)
    if await deps.sharing.card_mode(channel) is CardMode.OFF:
        return blocks.external_off()
    try:
        info = await call("conversations.info", deps.slack.conversations_info(channel=channel))
    except SlackCallFailed as failed:
        logged(failed, "follow.channel_info_failed", channel=channel)
        return blocks.cannot_see(channel)
    about: dict[str, Any] = info.get("channel") or {}
    if about.get("is_im") or about.get("is_mpim"):
        return blocks.only_channels()
    if about.get("is_member") is False:
        return blocks.not_a_member(channel, private=bool(about.get("is_private")))
    return Destination(channel)


async def _open_dm(deps: ListenerDeps, user: str) -> str | None:
    try:
        opened = await call("conversations.open", deps.slack.conversations_open(users=user))
    except SlackCallFailed as failed:
        logged(failed, "follow.dm_failed", user=user)
        return None
    return str((opened.get("channel") or {}).get("id") or "") or None


async def _customer(
    deps: ListenerDeps, query: Query | None, respond: AsyncRespond
) -> tuple[Target, str] | None:
    """The customer `query` names (number queries need no lookup), or None once told why."""
    if isinstance(query, IdQuery) and query.ref.isdigit():
        display_id = int(query.ref)
        snap = deps.directory.get(query.ref)
        return Target(display_id=display_id), blocks.customer_label(
            snap.customer.name if snap else None, display_id
        )
    assert query is not None
    outcome = await deps.lookup.resolve(query)
    if isinstance(outcome, Matches):
        found = [(s.customer.name, s.customer.display_id) for s in outcome.snapshots]
        await tell(respond, blocks.several(outcome.text, found))
        return None
    if not isinstance(outcome, Found):
        await tell(respond, render(outcome, deps.cards))
        return None
    customer = outcome.snapshot.customer
    label = blocks.customer_label(customer.name, customer.display_id)
    return Target(display_id=customer.display_id), label


async def _own_segment(deps: ListenerDeps, segment: Filter, user: str) -> Filter | None:
    """The segment with `owner:me` as the asker's email; None when that email is unknown."""
    if "me" not in segment.owners:
        return segment
    person = await deps.people.person(user)
    email = person.email if isinstance(person, Person) else None
    return None if email is None else with_owner(segment, email)


async def _count(deps: ListenerDeps, segment: Filter) -> int | None:
    if not deps.lists.ready and not await deps.lists.wait_ready(READY_WAIT):
        return None
    return (await deps.lists.portfolio(segment, me=None)).count


async def _timezone(deps: ListenerDeps, user: str) -> str:
    """The creator's time zone (users.info `tz`), for daily digests; UTC when unknown."""
    person = await deps.people.person(user)
    return person.tz if isinstance(person, Person) and person.tz else "UTC"


async def _announce_unfollow(
    deps: ListenerDeps, follow: Follow, label: str, user: str, respond: AsyncRespond
) -> None:
    """A channel hears that one of its follows was removed; a person just gets the answer."""
    if follow.destination.personal:
        await tell(respond, blocks.unfollowed(label))
        return
    try:
        await _post(deps, follow.destination.channel_id, blocks.unfollowed(label, by=user))
    except SlackCallFailed as failed:
        logged(failed, "follow.unfollow_announce_failed", channel=follow.destination.channel_id)
        await tell(respond, blocks.unfollowed(label))


async def _post(deps: ListenerDeps, channel: str, message: Message) -> None:
    await call("chat.postMessage", deps.slack.chat_postMessage(
        channel=channel, text=message.text, blocks=message.blocks,
        unfurl_links=False, unfurl_media=False,
    ))  # fmt: skip


async def _answer(respond: AsyncRespond, message: Message, *, replace: bool) -> None:
    if replace:
        await reply(respond, message, response_type="ephemeral", replace_original=True)
    else:
        await tell(respond, message)


async def _guarded(respond: AsyncRespond | None, work: Any, *, replace: bool = False) -> None:
    """The database away is said in words, not as a generic failure."""
    try:
        await work
    except StoreUnavailable:
        event(log, "follow.store_unavailable", logging.WARNING)
        if respond is not None:  # App Home's buttons have no response_url
            await _answer(respond, blocks.store_away(), replace=replace)


def _settings(follow: Follow) -> tuple[frozenset[str], bool, int]:
    return follow.kinds, follow.digest, follow.digest_hour if follow.digest else 0


def _wanted(asked: FollowText) -> tuple[frozenset[str], bool, int]:
    return asked.kinds, asked.digest, asked.hour if asked.digest else 0


def _asker_of_command(command: dict[str, Any]) -> Asker:
    return Asker(user_of(command), str(command.get("channel_id") or ""),
                 str(command.get("channel_name") or ""),
                 str(command.get("team_id") or "") or None)  # fmt: skip


def _asker_of_action(body: dict[str, Any]) -> Asker:
    channel = body.get("channel") or {}
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return Asker(user_of(body), str(channel.get("id") or ""), str(channel.get("name") or ""),
                 str(team or "") or None)  # fmt: skip
