"""link_shared: unfurl customer links in one chat.unfurl, minding shared channels."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot import logs
from bot.blocks.message import CardMode
from bot.lookup.query import CustomerLink, parse_customer_link
from bot.lookup.service import Found
from bot.slack import cards
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.render import log_lookup, render

log = logging.getLogger(__name__)
MAX_LINKS = 10  # more than Slack previews in one message anyway


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.event("link_shared"), deps, on_link_shared)


def on_link_shared(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    event, hint = args.event or {}, args.body.get("is_ext_shared_channel")
    links = _customer_links(event, deps.app_url)
    if not links:
        return Reply()
    started = time.monotonic()
    return Reply(later=lambda: unfurl(deps, event, hint, links, started))


async def unfurl(
    deps: ListenerDeps,
    event: dict[str, Any],
    hint: object,
    links: dict[str, CustomerLink],
    started: float,
) -> None:
    """One chat.unfurl for the links found, as the channel may see them (`hint`: the
    event's is_ext_shared_channel); with live cards on, each unfurl is kept."""
    channel = str(event.get("channel") or "")
    mode = await deps.sharing.card_mode(channel, hint)
    if mode is CardMode.OFF:
        _skipped(channel, "shared_channel")
        return
    unfurls, shown = await _cards_for(deps, links, mode, started)
    if not unfurls:
        _skipped(channel, "nothing_found")
    elif await cards.unfurl(deps.slack, event, unfurls) and deps.live is not None:
        await cards.remember_unfurls(deps.live, event, shown, mode)


async def _cards_for(
    deps: ListenerDeps, links: dict[str, CustomerLink], mode: CardMode, started: float
) -> tuple[dict[str, Any], dict[str, int]]:
    """url -> its unfurl, and url -> display_id (for live cards), for customers found."""
    queries = list(dict.fromkeys(links.values()))
    outcomes = await asyncio.gather(*(deps.lookup.resolve(q) for q in queries))
    unfurls: dict[str, Any] = {}
    shown: dict[str, int] = {}
    for query, outcome in zip(queries, outcomes, strict=True):
        log_lookup("unfurl", outcome, started, instant=False)
        if not isinstance(outcome, Found):
            continue  # unknown customers and failures are left as plain links
        card = render(outcome, deps.cards, minimal=mode is CardMode.MINIMAL)
        for url, link in links.items():
            if link == query:
                unfurls[url] = {"blocks": card.blocks}
                shown[url] = outcome.snapshot.customer.display_id
    return unfurls, shown


def _customer_links(event: dict[str, Any], app_url: str) -> dict[str, CustomerLink]:
    """Exact posted URL -> what it points at, for this app's customer links only."""
    found: dict[str, CustomerLink] = {}
    for item in event.get("links") or []:
        url = item.get("url") if isinstance(item, dict) else None
        if not isinstance(url, str) or url in found:
            continue
        link = parse_customer_link(url, app_url=app_url)
        if link is not None:
            found[url] = link
        if len(found) >= MAX_LINKS:
            break
    return found


def _skipped(channel: str, reason: str) -> None:
    logs.event(log, "slack.unfurl.skipped", channel=channel, reason=reason)
