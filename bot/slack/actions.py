"""Buttons on our messages: link buttons are acked, Show opens a card, Share posts it."""

from __future__ import annotations

import re
import time
from typing import Any

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
from bot.slack.replies import reply

_LINK_BUTTONS = re.compile("^(" + "|".join(map(re.escape, ids.LINK_BUTTONS)) + ")$")


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    def on_link_button(args: AsyncArgs) -> Reply:
        # The browser opens the URL; Slack still expects the click to be acknowledged.
        return Reply()

    def on_pick(args: AsyncArgs) -> Reply:
        action, respond, started = args.action or {}, args.respond, time.monotonic()
        return Reply(later=lambda: pick(action, respond, started))

    def on_share(args: AsyncArgs) -> Reply:
        action, body, respond = args.action or {}, args.body, args.respond
        started = time.monotonic()
        return Reply(later=lambda: share(action, body, respond, started))

    async def pick(action: dict[str, Any], respond: AsyncRespond, started: float) -> None:
        ref = ids.decode_customer_value(str(action.get("value") or ""))
        if ref is None:
            await _out_of_date(respond)
            return
        outcome = await deps.lookup.resolve(IdQuery(ref))
        message = render(outcome, deps.cards, shareable=True)
        await reply(respond, message, response_type="ephemeral", replace_original=True)
        log_lookup("pick", outcome, started, instant=False)

    async def share(
        action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond, started: float
    ) -> None:
        ref = ids.decode_customer_value(str(action.get("value") or ""))
        channel = str((body.get("channel") or {}).get("id") or "")
        if ref is None or not channel:
            await _out_of_date(respond)
            return
        mode = await deps.sharing.card_mode(channel)
        if mode is CardMode.OFF:
            await reply(respond, notices.not_shared_externally(), response_type="ephemeral",
                        replace_original=False)  # fmt: skip
            return
        outcome = await deps.lookup.resolve(IdQuery(ref))
        if not isinstance(outcome, Found):
            await reply(respond, render(outcome, deps.cards), response_type="ephemeral",
                        replace_original=False)  # fmt: skip
        elif await cards.share(deps, channel, outcome, mode, user_of(body), respond):
            await reply(respond, delete_original=True)
        log_lookup("share", outcome, started, instant=False)

    listen(app.action(_LINK_BUTTONS), deps.inflight, on_link_button)
    listen(app.action(ids.PICK_CUSTOMER), deps.inflight, on_pick)
    listen(app.action(ids.SHARE_CUSTOMER), deps.inflight, on_share)


async def _out_of_date(respond: AsyncRespond) -> None:
    message = notices.invalid_input("That button is out of date; run /customer again.")
    await reply(respond, message, response_type="ephemeral", replace_original=False)
