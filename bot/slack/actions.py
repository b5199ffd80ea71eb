"""Buttons on our messages: link buttons are acked, "Show" opens the picked card."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.blocks import errors as messages
from bot.blocks import ids
from bot.lookup.query import IdQuery
from bot.slack.render import log_lookup, render

if TYPE_CHECKING:
    from bot.app import Deps

_LINK_BUTTONS = re.compile("^(" + "|".join(map(re.escape, ids.LINK_BUTTONS)) + ")$")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(_LINK_BUTTONS)
    async def on_link_button(ack: AsyncAck) -> None:
        # The browser opens the URL; Slack still expects the click to be acknowledged.
        await ack()

    @deps.inflight.track
    async def on_pick(ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond) -> None:
        started = time.monotonic()
        await ack()
        ref = ids.decode_customer_value(str(action.get("value") or ""))
        if ref is None:
            message = messages.invalid_input("That button is out of date; run /customer again.")
            await respond(response_type="ephemeral", text=message.text, blocks=message.blocks)
            return
        outcome = await deps.lookup.resolve(IdQuery(ref))
        assert outcome is not None
        message = render(outcome, deps.cards)
        await respond(response_type="ephemeral", replace_original=True, text=message.text,
                      blocks=message.blocks)  # fmt: skip
        log_lookup("pick", outcome, started, instant=False)

    app.action(ids.PICK_CUSTOMER)(on_pick)
