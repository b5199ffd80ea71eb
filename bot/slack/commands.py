"""/customer: ack at once (with the card when memory has it), else answer at response_url."""

from __future__ import annotations

import time

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
    listen(app.command(COMMAND), deps, on_customer)


def on_customer(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    started = time.monotonic()
    command = args.command or {}
    user, channel = user_of(command), command.get("channel_id") or ""
    query = parse_query(command.get("text") or "", app_url=deps.app_url, channel_id=channel)
    # No I/O before the ack: only what memory already knows can ride on it.
    outcome = deps.lookup.peek(query)
    if outcome is None:
        respond = args.respond
        return Reply(later=lambda: answer(deps, query, user, channel, respond, started))
    log_lookup("command", outcome, started, instant=True)
    remember(deps, user, outcome, channel)
    return Reply.card(render(outcome, deps.cards, shareable=True))


async def answer(
    deps: ListenerDeps, query: Query, user: str, channel: str, respond: AsyncRespond, started: float
) -> None:
    """The lookup memory could not answer, at the command's response_url."""
    outcome = await deps.lookup.resolve(query)
    await reply(respond, render(outcome, deps.cards, shareable=True), response_type="ephemeral")
    log_lookup("command", outcome, started, instant=False)
    remember(deps, user, outcome, channel)
