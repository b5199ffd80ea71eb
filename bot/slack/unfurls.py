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
    def on_link_shared(args: AsyncArgs) -> Reply:
        event, body = args.event or {}, args.body
        links = _customer_links(event, deps.app_url)
        if not links:
            return Reply()
        started = time.monotonic()
        return Reply(later=lambda: unfurl(event, body, links, started))

    async def unfurl(
        event: dict[str, Any], body: dict[str, Any], links: dict[str, CustomerLink], started: float
    ) -> None:
        channel = str(event.get("channel") or "")
        mode = await deps.sharing.card_mode(channel, body.get("is_ext_shared_channel"))
        if mode is CardMode.OFF:
            _skipped(channel, "shared_channel")
            return
        queries = list(dict.fromkeys(links.values()))
        outcomes = await asyncio.gather(*(deps.lookup.resolve(q) for q in queries))
        unfurls: dict[str, dict[str, Any]] = {}
        shown: dict[str, int] = {}  # url -> display_id, for live cards
        for query, outcome in zip(queries, outcomes, strict=True):
            log_lookup("unfurl", outcome, started, instant=False)
            if not isinstance(outcome, Found):
                continue  # unknown customers and failures are left as plain links
            card = render(outcome, deps.cards, minimal=mode is CardMode.MINIMAL)
            for url, link in links.items():
                if link == query:
                    unfurls[url] = {"blocks": card.blocks}
                    shown[url] = outcome.snapshot.customer.display_id
        if unfurls:
            if await cards.unfurl(deps.slack, event, unfurls) and deps.live is not None:
                await cards.remember_unfurls(deps.live, event, shown, mode)
        else:
            _skipped(channel, "nothing_found")

    listen(app.event("link_shared"), deps.inflight, on_link_shared)


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
