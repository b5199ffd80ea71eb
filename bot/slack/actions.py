"""Buttons on our messages: link buttons are acked, Show opens a card, Share posts it."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.blocks import errors as messages
from bot.blocks import ids
from bot.config import ExternalUnfurls
from bot.lookup.query import IdQuery
from bot.lookup.service import Found
from bot.slack.errors import contained, guarded
from bot.slack.render import log_lookup, render
from bot.slack.replies import reply

if TYPE_CHECKING:
    from bot.app import Deps

_LINK_BUTTONS = re.compile("^(" + "|".join(map(re.escape, ids.LINK_BUTTONS)) + ")$")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(_LINK_BUTTONS)
    async def on_link_button(ack: AsyncAck) -> None:
        # The browser opens the URL; Slack still expects the click to be acknowledged.
        await ack()

    @guarded
    async def on_pick(ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        deps.inflight.spawn(contained(pick(action, respond, time.monotonic()), respond))

    @guarded
    async def on_share(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        deps.inflight.spawn(contained(share(action, body, respond, time.monotonic()), respond))

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
        external = await deps.sharing.is_external(channel)
        mode = deps.settings.external_unfurls if external else ExternalUnfurls.FULL
        if mode is ExternalUnfurls.OFF:
            await reply(respond, messages.not_shared_externally(), response_type="ephemeral",
                        replace_original=False)  # fmt: skip
            return
        outcome = await deps.lookup.resolve(IdQuery(ref))
        user = str((body.get("user") or {}).get("id") or "")
        message = render(outcome, deps.cards, minimal=mode is ExternalUnfurls.MINIMAL,
                         shared_by=user)  # fmt: skip
        if not isinstance(outcome, Found):
            await reply(respond, message, response_type="ephemeral", replace_original=False)
        elif await reply(respond, message, response_type="in_channel", replace_original=False):
            await reply(respond, delete_original=True)
        log_lookup("share", outcome, started, instant=False)

    app.action(ids.PICK_CUSTOMER)(on_pick)
    app.action(ids.SHARE_CUSTOMER)(on_share)


async def _out_of_date(respond: AsyncRespond) -> None:
    message = messages.invalid_input("That button is out of date; run /customer again.")
    await reply(respond, message, response_type="ephemeral", replace_original=False)
