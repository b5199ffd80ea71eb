"""Shortcuts: "Look up customer" on a message, and "Find a customer" anywhere (a modal)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks import ids, notices
from bot.blocks.matches import match_list
from bot.blocks.message import CardMode
from bot.blocks.surfaces import find_modal, notice_modal
from bot.lookup.mentions import find_mentions, named_refs
from bot.lookup.query import IdQuery, SlugQuery
from bot.lookup.service import Found
from bot.slack import cards
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.recents import remember, user_of
from bot.slack.render import render
from bot.slack.replies import reply
from bot.slack.webapi import attempt


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    def on_message_shortcut(args: AsyncArgs) -> Reply:
        shortcut, respond = args.shortcut or {}, args.respond
        return Reply(later=lambda: look_up(shortcut, respond))

    async def look_up(shortcut: dict[str, Any], respond: AsyncRespond) -> None:
        text = str((shortcut.get("message") or {}).get("text") or "")
        refs = refs_in(text)
        channel = str((shortcut.get("channel") or {}).get("id") or "")
        if len(refs) == 1:
            outcome = await deps.lookup.resolve(IdQuery(refs[0]))
            remember(deps, user_of(shortcut), outcome, channel)
            message = render(outcome, deps.cards, shareable=True)
        elif refs:
            snaps = [s for r in refs if (s := deps.directory.get(r)) is not None]
            message = match_list("that message", [s.customer for s in snaps])
        else:
            message = notices.nothing_mentioned()
        await reply(respond, message, response_type="ephemeral")

    def refs_in(text: str) -> list[str]:
        mentions = find_mentions(text, app_url=deps.app_url)
        refs: list[str] = []
        for link in (*mentions.links, *mentions.numbers):
            if isinstance(link, SlugQuery):
                snap = deps.directory.by_slug(link.slug)
                ref = snap.customer.id if snap is not None else None
            else:
                snap = deps.directory.get(link.ref)
                ref = snap.customer.id if snap is not None else link.ref
            if ref is not None and ref not in refs:
                refs.append(ref)
        exact = deps.directory.exact
        for ref in named_refs(mentions, lambda p: [s.customer.id for s in exact(p)]):
            if ref not in refs:
                refs.append(ref)
        return refs[:10]

    def on_global_shortcut(args: AsyncArgs) -> Reply:
        trigger = str((args.shortcut or {}).get("trigger_id") or "")
        return Reply(later=lambda: open_modal(trigger))

    async def open_modal(trigger: str) -> None:
        await attempt("views.open", deps.slack.views_open(trigger_id=trigger, view=find_modal()))

    def on_share_submitted(args: AsyncArgs) -> Reply:
        body, view = args.body, args.view or {}
        values = (view.get("state") or {}).get("values") or {}
        target = (values.get(ids.SHARE_TARGET_BLOCK) or {}).get(ids.SHARE_TARGET) or {}
        channel = str(target.get("selected_conversation") or "")
        ref = str(view.get("private_metadata") or "")
        if not channel or not ref:
            errors = {ids.SHARE_TARGET_BLOCK: "Pick where to share the card."}
            return Reply({"response_action": "errors", "errors": errors})
        sharing = {"response_action": "update", "view": notice_modal(":hourglass: Sharing…")}
        return Reply(sharing, later=lambda: share(body, view, channel, ref))

    async def share(body: dict[str, Any], view: dict[str, Any], channel: str, ref: str) -> None:
        user = user_of(body)
        mode = await deps.sharing.card_mode(channel)
        outcome = await deps.lookup.resolve(IdQuery(ref))
        if mode is CardMode.OFF:
            text = notices.not_shared_externally().text
        elif not isinstance(outcome, Found):
            text = render(outcome, deps.cards).text
        else:
            posted = await cards.share(deps, channel, outcome, mode, user)
            text = (
                f":white_check_mark: Shared in <#{channel}>."
                if posted
                else ":warning: Slack did not take the card there; invite the bot to that "
                "conversation and try again."
            )
        await attempt(
            "views.update", deps.slack.views_update(view_id=view.get("id"), view=notice_modal(text))
        )

    on_message = app.shortcut({"type": "message_action", "callback_id": ids.LOOKUP_SHORTCUT})
    listen(on_message, deps.inflight, on_message_shortcut)
    anywhere = app.shortcut({"type": "shortcut", "callback_id": ids.FIND_SHORTCUT})
    listen(anywhere, deps.inflight, on_global_shortcut)
    listen(app.view(ids.FIND_MODAL), deps.inflight, on_share_submitted)
