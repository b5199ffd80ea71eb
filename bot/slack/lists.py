"""Lists of customers: `/customer status:at_risk plan:enterprise`, its pages, Show and Share.

A list is answered from memory (bot/lookup/lists.py): in the ack itself when the index is
current and the asker's email is known (or not needed), else at the response_url. Page
buttons redraw the list in place; Show opens a card beside it; Share posts the page for the
channel (refused where people from other organisations may read). Export is export.py's.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot import metrics
from bot.blocks import ids, notices
from bot.blocks.lists import (
    Listing,
    empty_list,
    filter_problem,
    list_message,
    loading_list,
    owners_unknown,
    share_refused,
)
from bot.blocks.message import Message
from bot.logs import event
from bot.lookup.filters import Filter, FilterError, parse_filter
from bot.lookup.portfolio import Portfolio
from bot.lookup.query import IdQuery
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.people import Person, Unknown
from bot.slack.recents import user_of
from bot.slack.render import log_lookup, render
from bot.slack.replies import reply, tell
from bot.slack.webapi import SlackCallFailed, call, logged

log = logging.getLogger(__name__)

READY_WAIT = 10.0  # seconds a list waits for the first walk of the customer list
ATTENTION_TITLE = "need attention: at risk, or health down 10+ points in 7 days"
NO_OWNERS = (
    "No customer's owner is known yet: Pivotal tells owners only through its webhooks, "
    "so owner filters match customers whose owner changed since webhooks were set up."
)


def _action(action_id: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(action_id)}(:[0-9]+)?$")


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.action(_action(ids.LIST_PAGE)), deps, on_page)
    listen(app.action(_action(ids.LIST_SHOW)), deps, on_show)
    listen(app.action(_action(ids.LIST_SHARE)), deps, on_share)


def on_list_command(deps: ListenerDeps, args: AsyncArgs, text: str) -> Reply:
    """`/customer <filter>`: the first page, in the ack when memory can answer at once."""
    started, command = time.monotonic(), args.command or {}
    user, respond = user_of(command), args.respond
    parsed = parse_filter(text)
    if isinstance(parsed, FilterError):
        _log("command", "invalid", started, instant=True, problem=parsed.kind)
        return Reply.card(filter_problem(parsed))
    person = deps.people.known(user) if "me" in parsed.owners else None
    if ("me" not in parsed.owners or person is not None) and deps.lists.ready:
        portfolio = deps.lists.peek(parsed, me=person.email if person else None)
        if portfolio is not None:
            _log("command", "list", started, instant=True, count=portfolio.count)
            return Reply.card(answer(deps, portfolio, 1, _owner_note(parsed, person, portfolio)))
    return Reply(later=lambda: show_list(deps, parsed, user, respond, 1, started))


async def show_list(
    deps: ListenerDeps,
    parsed: Selection,
    user: str,
    respond: AsyncRespond,
    page: int,
    started: float,
    *,
    replace: bool = False,
) -> None:
    """The list at the response_url (in place of the clicked one when `replace`)."""
    message, count = await list_for(deps, parsed, user, page)
    options: dict[str, Any] = {"response_type": "ephemeral"}
    if replace:
        options["replace_original"] = True
    await reply(respond, message, **options)
    _log("page" if replace else "command", "list", started, instant=False, count=count)


Selection = Filter | Literal["attention"]


def selection(text: str) -> Selection | None:
    """What a list button names: a filter, or the "needs attention" list; None if neither."""
    if text == ids.ATTENTION:
        return ids.ATTENTION
    parsed = parse_filter(text)
    return parsed if isinstance(parsed, Filter) else None


async def list_for(
    deps: ListenerDeps, selected: Selection, user: str, page: int
) -> tuple[Message, int | None]:
    """Page `page` of `selected` as `user` sees it, and how many matched (None: not answered)."""
    if not deps.lists.ready and not await deps.lists.wait_ready(READY_WAIT):
        return loading_list(), None
    if selected == ids.ATTENTION:
        portfolio = await deps.lists.attention()
        return answer(deps, portfolio, page, None, named=ids.ATTENTION), portfolio.count
    assert isinstance(selected, Filter)
    person: Person | Unknown | None = None
    if "me" in selected.owners:
        person = await deps.people.person(user)
    me = person.email if isinstance(person, Person) else None
    portfolio = await deps.lists.portfolio(selected, me=me)
    return answer(deps, portfolio, page, _owner_note(selected, person, portfolio)), portfolio.count


def answer(
    deps: ListenerDeps,
    portfolio: Portfolio,
    page: int,
    note: str | None,
    *,
    named: str | None = None,
) -> Message:
    """The message for page `page` of `portfolio`, or the empty answer with a suggestion.
    `named`: the list's value when no filter expresses it (ids.ATTENTION)."""
    if named == ids.ATTENTION:
        listing = Listing(named, portfolio.page(page), portfolio.total_mrr, "health",
                          title=ATTENTION_TITLE)  # fmt: skip
        return list_message(listing, currency=deps.cards.currency, app_url=deps.app_url)
    text = portfolio.filter.canonical()
    if portfolio.count == 0 and note is not None:
        return owners_unknown(text, note)
    if portfolio.count == 0:
        nearest = None if portfolio.owner_unknown else portfolio.nearest()
        near = (nearest.filter.canonical(), nearest.count) if nearest is not None else None
        return empty_list(text, nearest=near, owner_note=note)
    listing = Listing(text, portfolio.page(page), portfolio.total_mrr, portfolio.filter.sort,
                      owner_note=note)  # fmt: skip
    return list_message(listing, currency=deps.cards.currency, app_url=deps.app_url)


def _owner_note(parsed: Filter, person: Person | Unknown | None, found: Portfolio) -> str | None:
    """Why an owner filter may have missed customers, when it may have."""
    if "me" in parsed.owners:
        if isinstance(person, Unknown):
            scope = " (the app needs the users:read.email scope)" if "scope" in person.error else ""
            return f"Slack would not tell the bot your email{scope}, so `mine` matches no one."
        if person is not None and person.email is None:
            return "Your Slack profile has no email the bot can read, so `mine` matches no one."
    if found.owner_unknown:
        return NO_OWNERS
    return None


def on_page(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    """Previous / Next (and "Show those" on an empty list): the list redrawn in place."""
    started, body, respond = time.monotonic(), args.body, args.respond
    named = ids.list_of(args.action or {})
    parsed = selection(named[0]) if named is not None else None
    if named is None or parsed is None:
        return Reply(later=lambda: out_of_date(respond))
    filter_, page = parsed, named[1]
    return Reply(later=lambda: show_list(deps, filter_, user_of(body), respond, page, started,
                                         replace=True))  # fmt: skip


async def out_of_date(respond: AsyncRespond) -> None:
    await tell(respond, notices.button_out_of_date())


def on_show(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    """A row's Show: the customer's card as a new ephemeral message; the list stays."""
    ref, respond, started = ids.customer_of(args.action or {}), args.respond, time.monotonic()

    async def show() -> None:
        if ref is None:
            await tell(respond, notices.button_out_of_date())
            return
        outcome = await deps.lookup.resolve(IdQuery(ref))
        await tell(respond, render(outcome, deps.cards, shareable=True))
        log_lookup("list_show", outcome, started, instant=False)

    return Reply(later=show)


def on_share(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    """Share: the page, posted for the channel; never where other organisations may read."""
    body, respond = args.body, args.respond
    named = ids.list_of(args.action or {})
    parsed = selection(named[0]) if named is not None else None
    channel = str((body.get("channel") or {}).get("id") or "")
    user = user_of(body)

    async def share() -> None:
        if named is None or parsed is None or not channel:
            await tell(respond, notices.button_out_of_date())
            return
        # Whatever cards may show there (EXTERNAL_UNFURLS), a list is never shared with
        # another organisation: it shows MRR, plans and owners of many customers.
        if await deps.sharing.is_external(channel):
            await tell(respond, share_refused())
            return
        await share_list(deps, parsed, named[1], channel, user, respond)

    return Reply(later=share)


async def share_list(
    deps: ListenerDeps, parsed: Selection, page: int, channel: str, user: str, respond: AsyncRespond
) -> None:
    """Post page `page` in `channel` as `user` saw it; at the response_url if the bot may
    not post there (Slack lets a response_url post where the bot is not a member)."""
    if parsed == ids.ATTENTION:
        portfolio = await deps.lists.attention()
        listing = Listing(ids.ATTENTION, portfolio.page(page), portfolio.total_mrr, "health",
                          title=ATTENTION_TITLE)  # fmt: skip
    else:
        assert isinstance(parsed, Filter)
        person = await deps.people.person(user) if "me" in parsed.owners else None
        me = person.email if isinstance(person, Person) else None
        portfolio = await deps.lists.portfolio(parsed, me=me)
        if portfolio.count == 0:
            note = _owner_note(parsed, person, portfolio)
            await tell(respond, answer(deps, portfolio, 1, note))
            return
        listing = Listing(parsed.canonical(), portfolio.page(page), portfolio.total_mrr,
                          parsed.sort)  # fmt: skip
    message = list_message(listing, currency=deps.cards.currency, app_url=deps.app_url,
                           shared_by=user)  # fmt: skip
    post = deps.slack.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
    try:
        await call("chat.postMessage", post)
    except SlackCallFailed as failed:
        logged(failed, "slack.share.failed", channel=channel)
        await reply(respond, message, response_type="in_channel", replace_original=False)
    event(log, "list.shared", channel=channel, user=user, count=portfolio.count)


def _log(surface: str, outcome: str, started: float, *, instant: bool, **fields: object) -> None:
    metrics.count_lookup(surface, outcome, None)
    event(log, "list", logging.INFO, surface=surface, outcome=outcome, in_ack=instant,
          ms=round((time.monotonic() - started) * 1000, 2), **fields)  # fmt: skip
