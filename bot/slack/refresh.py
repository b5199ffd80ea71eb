"""Refresh: fetch the customer now and redraw the card where it is, or say why not."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks import ids, notices
from bot.lookup.refresh import Refresher
from bot.lookup.service import Found
from bot.slack import cards
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.render import log_lookup, render
from bot.slack.replies import reply
from bot.slack.views import modal_for
from bot.slack.webapi import attempt


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
        view = body.get("view")
        if isinstance(view, dict) and view.get("type") == "modal":
            await attempt(
                "views.update",
                deps.slack.views_update(view_id=view.get("id"), view=modal_for(deps, found)),
            )
            return
        if (body.get("container") or {}).get("is_ephemeral"):
            card = render(found, deps.cards, shareable=True, refreshed=True)
            await reply(respond, card, response_type="ephemeral", replace_original=True)
            return
        await cards.redraw_clicked(deps, found, body, respond)

    listen(app.action(ids.REFRESH_CUSTOMER), deps.inflight, on_refresh)
