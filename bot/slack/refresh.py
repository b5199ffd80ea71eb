"""Refresh: fetch the customer now and redraw the card where it is, or say why not."""

from __future__ import annotations

import time
from functools import partial
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
from bot.slack.replies import reply, tell
from bot.slack.views import modal_for
from bot.slack.webapi import attempt


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.action(ids.REFRESH_CUSTOMER), deps, partial(on_refresh, Refresher(deps.lookup)))


def on_refresh(refresher: Refresher, deps: ListenerDeps, args: AsyncArgs) -> Reply:
    ref, body, respond = ids.customer_of(args.action or {}), args.body, args.respond
    started = time.monotonic()
    return Reply(later=lambda: refresh(deps, refresher, ref, body, respond, started))


async def refresh(
    deps: ListenerDeps,
    refresher: Refresher,
    ref: str | None,
    body: dict[str, Any],
    respond: AsyncRespond,
    started: float,
) -> None:
    """Fetch now (clicks close together share one fetch) and redraw where it was clicked."""
    if ref is None:
        await tell(respond, notices.button_out_of_date())
        return
    outcome = await refresher.refresh(ref)
    log_lookup("refresh", outcome, started, instant=False)
    if not isinstance(outcome, Found):
        # The card stays as it was; only the clicker hears why it did not change.
        await tell(respond, render(outcome, deps.cards))
        return
    await redraw(deps, outcome, body, respond)


async def redraw(
    deps: ListenerDeps, found: Found, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """The card drawn again where it is: a modal, an ephemeral answer, or in a channel."""
    view = body.get("view")
    if isinstance(view, dict) and view.get("type") == "modal":
        update = deps.slack.views_update(view_id=view.get("id"), view=modal_for(deps, found))
        await attempt("views.update", update)
    elif (body.get("container") or {}).get("is_ephemeral"):
        card = render(found, deps.cards, shareable=True, refreshed=True)
        await reply(respond, card, response_type="ephemeral", replace_original=True)
    else:
        await cards.redraw_clicked(deps, found, body, respond)
