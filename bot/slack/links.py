"""`/customer link 42` and `/customer unlink` in a channel: confirm, then write to Pivotal.

The command answers with an ephemeral confirmation saying what would change (the customer,
the channel it leaves, the customers this channel leaves); Confirm writes it through the
lookup layer (bot/lookup/linking.py) and replaces the confirmation with the outcome,
Cancel with "Nothing changed". Who may link is CHANNEL_LINKERS, checked on both steps;
when Slack will not say who someone is, the answer is no.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks import ids, links, notices
from bot.blocks.message import Message
from bot.logs import event
from bot.lookup.durable import StoreUnavailable
from bot.lookup.linking import Changed, ChannelLinks, Done, LinkPlan, Result
from bot.lookup.query import ChannelQuery, HelpQuery, IdQuery, InvalidQuery, Query, parse_query
from bot.lookup.service import Found, Matches
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.people import Unknown
from bot.slack.recents import user_of
from bot.slack.render import render
from bot.slack.replies import reply

log = logging.getLogger(__name__)

READY_WAIT = 10.0  # seconds a link waits for the first walk of the customer list


OWN_WRITE_SECONDS = 120.0


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.action(ids.LINK_CONFIRM), deps, on_confirm)
    listen(app.action(ids.LINK_CANCEL), deps, on_cancel)


def is_channel(channel_id: str, name: str = "") -> bool:
    """A channel (C… or G…), not a direct message or a group DM."""
    return channel_id[:1] in ("C", "G") and name != "directmessage" and not name.startswith("mpdm-")


def on_link(deps: ListenerDeps, args: AsyncArgs, text: str) -> Reply:
    """`/customer link <customer>`: the confirmation, or why there is none."""
    command = args.command or {}
    user, channel = user_of(command), str(command.get("channel_id") or "")
    if not is_channel(channel, str(command.get("channel_name") or "")):
        return Reply.card(links.only_channels())
    if not text:
        return Reply.card(links.link_usage())
    query = parse_query(text, app_url=deps.app_url, channel_id=channel)
    if isinstance(query, HelpQuery):
        return Reply.card(links.link_usage())
    if isinstance(query, ChannelQuery):
        return Reply.card(links.not_a_customer())
    if isinstance(query, InvalidQuery):
        return Reply.card(notices.invalid_input(query.reason))
    respond = args.respond
    return Reply(later=lambda: propose_link(deps, query, user, channel, respond))


def on_unlink(deps: ListenerDeps, args: AsyncArgs, text: str) -> Reply:
    """`/customer unlink`: the confirmation listing this channel's customers, if any."""
    command = args.command or {}
    user, channel = user_of(command), str(command.get("channel_id") or "")
    if not is_channel(channel, str(command.get("channel_name") or "")):
        return Reply.card(links.only_channels())
    respond = args.respond
    return Reply(later=lambda: propose_unlink(deps, user, channel, respond))


async def propose_link(
    deps: ListenerDeps, query: Query, user: str, channel: str, respond: AsyncRespond
) -> None:
    service = await _service(deps, user, respond)
    if service is None:
        return
    outcome = await deps.lookup.resolve(query)
    if isinstance(outcome, Matches):
        customers = [s.customer for s in outcome.snapshots]
        await _say(respond, links.several(outcome.text, customers, outcome.total))
    elif not isinstance(outcome, Found):
        await _say(respond, render(outcome, deps.cards))
    else:
        plan = service.plan_link(outcome.snapshot.customer, channel)
        await _say(respond, _changed(plan) if plan.empty else links.confirmation(plan))


async def propose_unlink(
    deps: ListenerDeps, user: str, channel: str, respond: AsyncRespond
) -> None:
    service = await _service(deps, user, respond)
    if service is None:
        return
    plan = service.plan_unlink(channel)
    await _say(respond, _changed(plan) if plan.empty else links.confirmation(plan))


def on_confirm(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    """Confirm: the writes, then the outcome in place of the confirmation."""
    body, respond, started = args.body, args.respond, time.monotonic()
    asked = links.link_request(args.action or {})
    channel = str((body.get("channel") or {}).get("id") or "")
    name = str((body.get("channel") or {}).get("name") or "")
    user = user_of(body)

    async def confirm() -> None:
        if asked is None or asked.channel_id != channel:
            await _replace(respond, notices.button_out_of_date())
            return
        if not is_channel(channel, name):
            await _replace(respond, links.only_channels())
            return
        service = await _service(deps, user, respond, replace=True)
        if service is None:
            return
        if asked.customer is None:
            await own_write(
                deps, channel, [s.customer.display_id for s in deps.directory.by_channel(channel)]
            )
            result = await service.unlink(channel, user=user, expected=asked.digest)
        else:
            outcome = await deps.lookup.resolve(IdQuery(asked.customer))
            if not isinstance(outcome, Found):
                await _replace(respond, render(outcome, deps.cards))
                return
            customer = outcome.snapshot.customer
            linked = [s.customer.display_id for s in deps.directory.by_channel(channel)]
            await own_write(deps, channel, [customer.display_id, *linked])
            result = await service.link(customer, channel, user=user, expected=asked.digest)
        await _replace(respond, outcome_message(result))
        _log(result, user, started)

    return Reply(later=confirm)


async def own_write(deps: ListenerDeps, channel: str, display_ids: list[int]) -> None:
    """Before writing: this channel's follows stay quiet about the change it is making
    (Pivotal's webhook for it may come back before the write's own answer)."""
    until = time.time() + OWN_WRITE_SECONDS
    try:
        for display_id in dict.fromkeys(display_ids):
            await deps.follows.wrote(display_id, channel, until=until)
    except StoreUnavailable:
        event(log, "channel.link.own_write_unrecorded", logging.WARNING, channel=channel)


def on_cancel(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    respond = args.respond
    return Reply(later=lambda: _replace(respond, links.cancelled()))


def outcome_message(result: Result) -> Message:
    """What the person who pressed Confirm sees in place of the confirmation."""
    if isinstance(result, Done):
        return links.done(result)
    if isinstance(result, Changed):
        return _changed(result.plan)
    return links.failed(result)


def _changed(plan: LinkPlan) -> Message:
    if plan.already:
        return links.already_linked(plan)
    if plan.empty:
        return links.nothing_to_unlink(plan.channel_id)
    return links.confirmation(plan, changed=True)


async def _service(
    deps: ListenerDeps, user: str, respond: AsyncRespond, *, replace: bool = False
) -> ChannelLinks | None:
    """The linking service if `user` may link and the customer list is loaded; else the
    reason is told and None returned."""
    service = deps.links
    refusal = (
        notices.internal_error() if service is None else await refusal_for(deps, service, user)
    )
    waited = refusal is None and service is not None and not service.ready
    if waited and service is not None and not await service.wait_ready(READY_WAIT):
        refusal = notices.loading()
    if refusal is not None:
        await (_replace(respond, refusal) if replace else _say(respond, refusal))
        return None
    return service


async def refusal_for(deps: ListenerDeps, service: ChannelLinks, user: str) -> Message | None:
    """Why `user` may not link channels under CHANNEL_LINKERS, or None when they may."""
    linkers = service.linkers
    if linkers.kind == "everyone":
        return None
    if linkers.kind == "listed":
        if user in linkers.users:
            return None
        unreadable = []
        for group in sorted(linkers.groups):
            members = await deps.people.members(group)
            if members is None:
                unreadable.append(group)
            elif user in members:
                return None
        if unreadable:
            return links.cannot_check(linkers, "", groups=unreadable)
        return links.not_allowed(linkers)
    person = await deps.people.person(user)
    if isinstance(person, Unknown):
        return links.cannot_check(linkers, person.error)
    return None if person.may_administer else links.not_allowed(linkers)


async def _say(respond: AsyncRespond, message: Message) -> None:
    await reply(respond, message, response_type="ephemeral")


async def _replace(respond: AsyncRespond, message: Message) -> None:
    await reply(respond, message, response_type="ephemeral", replace_original=True)


def _log(result: Result, user: str, started: float) -> None:
    fields: dict[str, Any] = {"user": user, "channel": result.plan.channel_id,
                              "ms": round((time.monotonic() - started) * 1000, 2)}  # fmt: skip
    if result.plan.customer is not None:
        fields["display_id"] = result.plan.customer.display_id
    kind = type(result).__name__.lower()
    level = logging.WARNING if kind == "writefailed" else logging.INFO
    event(log, "channel.link", level, outcome=kind,
          action="link" if result.plan.customer is not None else "unlink", **fields)  # fmt: skip
