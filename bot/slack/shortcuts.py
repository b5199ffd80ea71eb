"""Shortcuts: "Look up customer" on a message, and "Find a customer" anywhere (a modal)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks import ids, notices
from bot.blocks.matches import mentioned_list
from bot.blocks.message import CardMode
from bot.blocks.surfaces import (
    View,
    find_modal,
    notice_modal,
    share_refused_modal,
    share_target_missing,
    shared_modal,
    sharing_modal,
)
from bot.lookup.mentions import mentioned_refs
from bot.lookup.query import IdQuery
from bot.lookup.service import Found
from bot.slack import cards
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.recents import remember, user_of
from bot.slack.render import render
from bot.slack.replies import reply
from bot.slack.webapi import attempt


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    on_message = app.shortcut({"type": "message_action", "callback_id": ids.LOOKUP_SHORTCUT})
    listen(on_message, deps, on_message_shortcut)
    anywhere = app.shortcut({"type": "shortcut", "callback_id": ids.FIND_SHORTCUT})
    listen(anywhere, deps, on_global_shortcut)
    listen(app.view(ids.FIND_MODAL), deps, on_share_submitted)


def on_message_shortcut(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    shortcut, respond = args.shortcut or {}, args.respond
    return Reply(later=lambda: look_up(deps, shortcut, respond))


async def look_up(deps: ListenerDeps, shortcut: dict[str, Any], respond: AsyncRespond) -> None:
    """The customers a message mentions: one card, a list to pick from, or the picker."""
    text = str((shortcut.get("message") or {}).get("text") or "")
    refs = mentioned_refs(text, app_url=deps.app_url, known=deps.directory)
    channel = str((shortcut.get("channel") or {}).get("id") or "")
    if len(refs) == 1:
        outcome = await deps.lookup.resolve(IdQuery(refs[0]))
        remember(deps, user_of(shortcut), outcome, channel)
        message = render(outcome, deps.cards, shareable=True)
    elif refs:
        snaps = [s for r in refs if (s := deps.directory.get(r)) is not None]
        message = mentioned_list([s.customer for s in snaps])
    else:
        message = notices.nothing_mentioned()
    await reply(respond, message, response_type="ephemeral")


def on_global_shortcut(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    trigger = str((args.shortcut or {}).get("trigger_id") or "")
    return Reply(later=lambda: open_finder(deps, trigger))


async def open_finder(deps: ListenerDeps, trigger: str) -> None:
    """The "Find a customer" modal, opened while its trigger_id lives (about 3 s)."""
    await attempt("views.open", deps.slack.views_open(trigger_id=trigger, view=find_modal()))


def on_share_submitted(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    body, view = args.body, args.view or {}
    values = (view.get("state") or {}).get("values") or {}
    target = (values.get(ids.SHARE_TARGET_BLOCK) or {}).get(ids.SHARE_TARGET) or {}
    channel = str(target.get("selected_conversation") or "")
    ref, view_id = str(view.get("private_metadata") or ""), view.get("id")
    if not channel or not ref:
        return Reply({"response_action": "errors", "errors": share_target_missing()})
    user = user_of(body)
    return Reply({"response_action": "update", "view": sharing_modal()},
                 later=lambda: share(deps, user, view_id, channel, ref))  # fmt: skip


async def share(deps: ListenerDeps, user: str, view_id: Any, channel: str, ref: str) -> None:
    """Share from the modal: the card posted in `channel`, then the modal says so, or why not."""
    done = await _shared(deps, user, channel, ref)
    await attempt("views.update", deps.slack.views_update(view_id=view_id, view=done))


async def _shared(deps: ListenerDeps, user: str, channel: str, ref: str) -> View:
    mode = await deps.sharing.card_mode(channel)
    if mode is CardMode.OFF:
        return notice_modal(notices.not_shared_externally().text)
    outcome = await deps.lookup.resolve(IdQuery(ref))
    if not isinstance(outcome, Found):
        return notice_modal(render(outcome, deps.cards).text)
    posted = await cards.share(deps, channel, outcome, mode, user)
    return shared_modal(channel) if posted else share_refused_modal()
