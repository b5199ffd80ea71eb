"""/customer: ack at once (with the card when memory has it), else answer at response_url."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.lookup.query import Query, parse_query
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.recents import remember, user_of
from bot.slack.render import log_lookup, render
from bot.slack.replies import reply

COMMAND = "/customer"


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    def on_customer(args: AsyncArgs) -> Reply:
        started = time.monotonic()
        command = args.command or {}
        query = parse_query(
            command.get("text") or "",
            app_url=deps.app_url,
            channel_id=command.get("channel_id") or "",
        )
        # No I/O before the ack: only what memory already knows can ride on it.
        outcome = deps.lookup.peek(query)
        if outcome is None:
            respond = args.respond
            return Reply(later=lambda: answer(query, command, respond, started))
        log_lookup("command", outcome, started, instant=True)
        remember(deps, user_of(command), outcome, command.get("channel_id") or "")
        return Reply.card(render(outcome, deps.cards, shareable=True))

    async def answer(
        query: Query, command: dict[str, Any], respond: AsyncRespond, started: float
    ) -> None:
        outcome = await deps.lookup.resolve(query)
        message = render(outcome, deps.cards, shareable=True)
        await reply(respond, message, response_type="ephemeral")
        log_lookup("command", outcome, started, instant=False)
        remember(deps, user_of(command), outcome, command.get("channel_id") or "")

    listen(app.command(COMMAND), deps.inflight, on_customer)
