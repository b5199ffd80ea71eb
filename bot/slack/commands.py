"""/customer: ack at once (with the card when memory has it), else answer at response_url."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.lookup.query import Query, parse_query
from bot.slack.errors import contained, guarded
from bot.slack.recents import remember, user_of
from bot.slack.render import log_lookup, render
from bot.slack.replies import reply

if TYPE_CHECKING:
    from bot.app import Deps

COMMAND = "/customer"


def register(app: AsyncApp, deps: Deps) -> None:
    @guarded
    async def on_customer(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        started = time.monotonic()
        query = parse_query(
            command.get("text") or "",
            app_url=deps.settings.app_url,
            channel_id=command.get("channel_id") or "",
        )
        # No I/O before the ack: only what memory already knows can ride on it.
        outcome = deps.lookup.peek(query)
        if outcome is not None:
            message = render(outcome, deps.cards, shareable=True)
            await ack(response_type="ephemeral", text=message.text, blocks=message.blocks)
            log_lookup("command", outcome, started, instant=True)
            remember(deps, user_of(command), outcome, command.get("channel_id") or "")
            return
        await ack()
        deps.inflight.spawn(contained(answer(query, command, respond, started), respond))

    async def answer(
        query: Query, command: dict[str, Any], respond: AsyncRespond, started: float
    ) -> None:
        outcome = await deps.lookup.resolve(query)
        message = render(outcome, deps.cards, shareable=True)
        await reply(respond, message, response_type="ephemeral")
        log_lookup("command", outcome, started, instant=False)
        remember(deps, user_of(command), outcome, command.get("channel_id") or "")

    app.command(COMMAND)(on_customer)
