"""Refresh: fetch the customer now and redraw the card where it is, or say why not."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks import ids, notices
from bot.blocks.customer import shared_by_in
from bot.lookup.refresh import Refresher
from bot.lookup.service import Found
from bot.slack.listen import Reply, listen
from bot.slack.privacy import CardMode
from bot.slack.render import log_lookup, render
from bot.slack.replies import reply
from bot.slack.views import modal_for
from bot.slack.webapi import attempt

if TYPE_CHECKING:
    from bot.slack.deps import ListenerDeps


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    refresher = Refresher(deps.lookup)

    def on_refresh(args: AsyncArgs) -> Reply:
        action, body, respond, started = (
            args.action or {},
            args.body,
            args.respond,
            time.monotonic(),
        )
        return Reply(later=lambda: refresh(action, body, respond, started))

    async def refresh(
        action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond, started: float
    ) -> None:
        ref = ids.decode_customer_value(str(action.get("value") or ""))
        if ref is None:
            message = notices.invalid_input("That button is out of date; run /customer again.")
            await reply(respond, message, response_type="ephemeral", replace_original=False)
            return
        outcome = await refresher.refresh(ref)
        log_lookup("refresh", outcome, started, instant=False)
        if not isinstance(outcome, Found):
            # The card stays as it was; only the clicker hears why it did not change.
            await reply(
                respond,
                render(outcome, deps.cards),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        await redraw(outcome, body, respond)

    async def redraw(found: Found, body: dict[str, Any], respond: AsyncRespond) -> None:
        container = body.get("container") or {}
        view = body.get("view")
        if isinstance(view, dict) and view.get("type") == "modal":
            await attempt(
                "views.update",
                deps.slack.views_update(view_id=view.get("id"), view=modal_for(deps, found)),
            )
            return
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        if container.get("is_ephemeral"):
            card = render(found, deps.cards, shareable=True, refreshed=True)
            await reply(respond, card, response_type="ephemeral", replace_original=True)
            return
        shared_by = shared_by_in((body.get("message") or {}).get("blocks"))
        minimal = await minimal_in(channel)
        card = render(found, deps.cards, minimal=minimal, shared_by=shared_by, refreshed=True)
        ts = str(container.get("message_ts") or "")
        if container.get("is_app_unfurl"):
            url = str((body.get("app_unfurl") or {}).get("app_unfurl_url") or "")
            if url and channel and ts:
                await attempt(
                    "chat.unfurl",
                    deps.slack.chat_unfurl(
                        channel=channel, ts=ts, unfurls={url: {"blocks": card.blocks}}
                    ),
                )
            return
        updated = None
        if channel and ts:
            update = deps.slack.chat_update(channel=channel, ts=ts, text=card.text,
                                            blocks=card.blocks)  # fmt: skip
            updated = await attempt("chat.update", update)
        if updated is None:
            await reply(respond, card, replace_original=True)

    async def minimal_in(channel: str) -> bool:
        return bool(channel) and await deps.sharing.card_mode(channel) is not CardMode.FULL

    listen(app.action(ids.REFRESH_CUSTOMER), deps.inflight, on_refresh)
