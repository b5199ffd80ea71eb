"""/customer: ack at once (with the answer when memory has it), else answer at response_url.

The first word may name a verb (`link`, `unlink`, …: see VERBS); text with a filter term
(`status:at_risk`, `mrr>1k`, `mine`) is a list; anything else is one customer.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.lookup.filter_terms import is_filter_text
from bot.lookup.query import ChannelQuery, Query, parse_query
from bot.slack import follow, links, lists
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.recents import remember, user_of
from bot.slack.render import log_lookup, render
from bot.slack.replies import reply

COMMAND = "/customer"

# `/customer <verb> <rest>`: the verb's listener gets the rest of the text.
Verb = Callable[[ListenerDeps, AsyncArgs, str], Reply]
VERBS: dict[str, Verb] = {"link": links.on_link, "unlink": links.on_unlink,
                          "follow": follow.on_follow, "unfollow": follow.on_unfollow,
                          "following": follow.on_following}  # fmt: skip


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.command(COMMAND), deps, on_customer)


def on_customer(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    command = args.command or {}
    text = str(command.get("text") or "")
    verb, _, rest = text.strip().partition(" ")
    if verb.casefold() in VERBS:
        return VERBS[verb.casefold()](deps, args, rest.strip())
    if is_filter_text(text):
        return lists.on_list_command(deps, args, text)
    return on_lookup(deps, args, text)


def on_lookup(deps: ListenerDeps, args: AsyncArgs, text: str) -> Reply:
    started = time.monotonic()
    command = args.command or {}
    user, channel = user_of(command), command.get("channel_id") or ""
    query = parse_query(text, app_url=deps.app_url, channel_id=channel)
    # No I/O before the ack: only what memory already knows can ride on it.
    outcome = deps.lookup.peek(query)
    if outcome is None:
        respond = args.respond
        return Reply(later=lambda: answer(deps, query, user, channel, respond, started))
    log_lookup("command", outcome, started, instant=True)
    remember(deps, user, outcome, channel)
    return Reply.card(render(outcome, deps.cards, shareable=True, followable=True,
                             linked=_linked_here(query, channel)))  # fmt: skip


async def answer(
    deps: ListenerDeps, query: Query, user: str, channel: str, respond: AsyncRespond, started: float
) -> None:
    """The lookup memory could not answer, at the command's response_url."""
    outcome = await deps.lookup.resolve(query)
    card = render(outcome, deps.cards, shareable=True, followable=True,
                  linked=_linked_here(query, channel))  # fmt: skip
    await reply(respond, card, response_type="ephemeral")
    log_lookup("command", outcome, started, instant=False)
    remember(deps, user, outcome, channel)


def _linked_here(query: Query, channel: str) -> bool:
    """`/customer` alone (or naming this channel): the answer offers to follow it here."""
    return isinstance(query, ChannelQuery) and query.channel_id == channel != ""
