"""Showing a chosen customer where the choice was made: a message, a modal or the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncRespond

from bot.blocks.surfaces import View, answer_modal, card_modal, looking_up_modal
from bot.lookup.query import IdQuery
from bot.lookup.service import Found, Outcome
from bot.slack.deps import ListenerDeps
from bot.slack.recents import remember, user_of
from bot.slack.render import render
from bot.slack.replies import reply
from bot.slack.webapi import attempt


def modal_for(deps: ListenerDeps, outcome: Outcome) -> View:
    """The modal showing `outcome`: the card with Share, or why there is none."""
    if isinstance(outcome, Found):
        return card_modal(render(outcome, deps.cards), outcome.snapshot.customer.id)
    return answer_modal(render(outcome, deps.cards))


async def show_chosen(
    deps: ListenerDeps, body: dict[str, Any], respond: AsyncRespond | None, ref: str
) -> None:
    """A customer was picked in a message, a modal or the Home tab: show its card there."""
    view = body.get("view") if isinstance(body.get("view"), dict) else None
    channel = str((body.get("channel") or {}).get("id") or "")
    if view is not None and view.get("type") == "home":
        await _open_from_home(deps, body, ref)
        return
    outcome = await deps.lookup.resolve(IdQuery(ref))
    remember(deps, user_of(body), outcome, channel)
    if view is not None:
        await attempt(
            "views.update",
            deps.slack.views_update(
                view_id=view.get("id"), hash=view.get("hash"), view=modal_for(deps, outcome)
            ),
        )
    elif respond is not None:
        message = render(outcome, deps.cards, shareable=True)
        await reply(respond, message, response_type="ephemeral", replace_original=True)


async def _open_from_home(deps: ListenerDeps, body: dict[str, Any], ref: str) -> None:
    # A trigger_id lives about 3 s: open at once with what memory has, then update.
    known = deps.lookup.peek(IdQuery(ref))
    first = modal_for(deps, known) if known else looking_up_modal()
    opened = await attempt(
        "views.open", deps.slack.views_open(trigger_id=body.get("trigger_id"), view=first)
    )
    if known is not None:
        remember(deps, user_of(body), known)
        return
    outcome = await deps.lookup.resolve(IdQuery(ref))
    remember(deps, user_of(body), outcome)
    opened_view = (opened.get("view") if opened is not None else None) or {}
    if opened_view.get("id"):
        await attempt(
            "views.update",
            deps.slack.views_update(view_id=opened_view["id"], view=modal_for(deps, outcome)),
        )
