"""Buttons on our messages: link buttons are acked, Show opens a card, Share posts it."""

from __future__ import annotations

import re
import time

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks import ids, notices
from bot.blocks.message import CardMode
from bot.lookup.query import IdQuery
from bot.lookup.service import Found
from bot.slack import cards
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.recents import user_of
from bot.slack.render import log_lookup, render
from bot.slack.replies import reply, tell

_LINK_BUTTONS = re.compile("^(" + "|".join(map(re.escape, ids.LINK_BUTTONS)) + ")$")


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.action(_LINK_BUTTONS), deps, on_link_button)
    listen(app.action(ids.PICK_CUSTOMER), deps, on_pick)
    listen(app.action(ids.SHARE_CUSTOMER), deps, on_share)


def on_link_button(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    # The browser opens the URL; Slack still expects the click to be acknowledged.
    return Reply()


def on_pick(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    ref, respond, started = ids.customer_of(args.action or {}), args.respond, time.monotonic()
    return Reply(later=lambda: pick(deps, ref, respond, started))


async def pick(deps: ListenerDeps, ref: str | None, respond: AsyncRespond, started: float) -> None:
    """Show picked out of several matches: its card replaces the list."""
    if ref is None:
        await tell(respond, notices.button_out_of_date())
        return
    outcome = await deps.lookup.resolve(IdQuery(ref))
    message = render(outcome, deps.cards, shareable=True)
    await reply(respond, message, response_type="ephemeral", replace_original=True)
    log_lookup("pick", outcome, started, instant=False)


def on_share(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    ref, body, respond = ids.customer_of(args.action or {}), args.body, args.respond
    channel, started = str((body.get("channel") or {}).get("id") or ""), time.monotonic()
    return Reply(later=lambda: share(deps, ref, channel, user_of(body), respond, started))


async def share(
    deps: ListenerDeps,
    ref: str | None,
    channel: str,
    user: str,
    respond: AsyncRespond,
    started: float,
) -> None:
    """Share on an ephemeral card: posted in the channel, then the ephemeral one goes."""
    if ref is None or not channel:
        await tell(respond, notices.button_out_of_date())
        return
    mode = await deps.sharing.card_mode(channel)
    if mode is CardMode.OFF:
        await tell(respond, notices.not_shared_externally())
        return
    outcome = await deps.lookup.resolve(IdQuery(ref))
    if not isinstance(outcome, Found):
        await tell(respond, render(outcome, deps.cards))
    elif await cards.share(deps, channel, outcome, mode, user, respond):
        await reply(respond, delete_original=True)
    log_lookup("share", outcome, started, instant=False)
