"""link_shared: unfurl customer links in one chat.unfurl, minding shared channels."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_sdk.web.async_client import AsyncWebClient

from bot import logs
from bot.lookup.query import CustomerLink, parse_customer_link
from bot.lookup.service import Found
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.live import remember_unfurls
from bot.slack.privacy import CardMode
from bot.slack.render import log_lookup, render
from bot.slack.webapi import SlackCallFailed, call, logged

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
            if await _send(deps.slack, event, unfurls) and deps.live is not None:
                await remember_unfurls(deps.live, event, shown, mode)
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


async def _send(
    slack: AsyncWebClient, event: dict[str, Any], unfurls: dict[str, dict[str, Any]]
) -> bool:
    target: dict[str, Any]
    if event.get("unfurl_id") and event.get("source"):
        target = {"unfurl_id": event["unfurl_id"], "source": event["source"]}
    else:
        target = {"channel": event.get("channel"), "ts": event.get("message_ts")}
    try:
        await call("chat.unfurl", slack.chat_unfurl(unfurls=unfurls, **target))
    except SlackCallFailed as failed:
        logged(failed, "slack.unfurl.failed", channel=event.get("channel"), links=len(unfurls))
        return False
    return True


def _skipped(channel: str, reason: str) -> None:
    logs.event(log, "slack.unfurl.skipped", channel=channel, reason=reason)
