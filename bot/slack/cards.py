"""A card in Slack: posting one (Share), where a posted card or unfurl is, drawing it again.

Every surface that puts a customer card in a channel comes through here: Share (the button
and the modal), a link's unfurl, Refresh on a card in a channel, and live cards redrawn
after a change (bot/slack/live.py). A posted card's address is a `Posted` (bot/state/live.py):
a message (chat.update) or the unfurl of a link in one (chat.unfurl, by channel and ts, or
by unfurl_id and source for a preview still in the composer). With live cards on, each
card posted or unfurled is kept in the registry, and the record says who shared it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.customer import shared_by_in
from bot.blocks.message import CardMode, Message
from bot.lookup.service import Found
from bot.slack.deps import CardBook, ListenerDeps
from bot.slack.render import render
from bot.slack.replies import reply
from bot.slack.webapi import SlackCallFailed, call, logged
from bot.state.live import Posted

Target = tuple[tuple[str, str], ...]


async def share(
    deps: ListenerDeps,
    channel: str,
    found: Found,
    mode: CardMode,
    user: str,
    respond: AsyncRespond | None = None,
) -> bool:
    """Post `found`'s card in `channel`, crediting `user`; True once it is there.

    With live cards it goes by chat.postMessage (its ts is what later redraws address) and
    is kept. A Share button without them answers at its response_url (Slack posts there even
    where the bot is not a member), as it does when chat.postMessage is refused.
    """
    card = render(found, deps.cards, minimal=mode is CardMode.MINIMAL, shared_by=user)
    if (deps.live is not None or respond is None) and await _post(deps, found, card, channel,
                                                                  mode, user or None):  # fmt: skip
        return True
    if respond is None:
        return False
    return await reply(respond, card, response_type="in_channel", replace_original=False)


async def _post(
    deps: ListenerDeps, found: Found, card: Message, channel: str, mode: CardMode, user: str | None
) -> bool:
    post = deps.slack.chat_postMessage(channel=channel, text=card.text, blocks=card.blocks)
    try:
        sent = await call("chat.postMessage", post)
    except SlackCallFailed as failed:
        logged(failed, "slack.share.failed", channel=channel)
        return False
    ts = str(sent.get("ts") or "")
    if ts and deps.live is not None:  # without its ts a message cannot be updated: not live
        display_id = found.snapshot.customer.display_id
        await deps.live.remember(display_id, Posted(channel, ts, mode, shared_by=user))
    return True


async def unfurl(slack: AsyncWebClient, event: Mapping[str, Any], unfurls: dict[str, Any]) -> bool:
    """The unfurls for a link_shared event's links, in one chat.unfurl; False if refused."""
    where = _address(str(event.get("channel") or ""), str(event.get("message_ts") or ""),
                      unfurl_target(event))  # fmt: skip
    try:
        await call("chat.unfurl", slack.chat_unfurl(unfurls=unfurls, **where))
    except SlackCallFailed as failed:
        logged(failed, "slack.unfurl.failed", channel=event.get("channel"), links=len(unfurls))
        return False
    return True


async def remember_unfurls(
    book: CardBook, event: Mapping[str, Any], shown: dict[str, int], mode: CardMode
) -> None:
    """Keep the unfurls just sent (url -> display_id), so they follow their customers."""
    channel, ts = str(event.get("channel") or ""), str(event.get("message_ts") or "")
    if not (channel and ts):
        return  # nothing to address a later chat.unfurl to
    target = unfurl_target(event)
    for url, display_id in shown.items():
        await book.remember(display_id, Posted(channel, ts, mode, url=url, target=target))


def unfurl_target(event: Mapping[str, Any]) -> Target:
    """chat.unfurl's unfurl_id and source, when link_shared gave both (a composer preview)."""
    if event.get("unfurl_id") and event.get("source"):
        return (("unfurl_id", str(event["unfurl_id"])), ("source", str(event["source"])))
    return ()


async def draw(slack: AsyncWebClient, posted: Posted, card: Message) -> None:
    """Draw `card` again where `posted` is; a failure is SlackCallFailed."""
    if posted.url is None:
        update = slack.chat_update(channel=posted.channel, ts=posted.ts, text=card.text,
                                   blocks=card.blocks)  # fmt: skip
        await call("chat.update", update)
        return
    unfurls = {posted.url: {"blocks": card.blocks}}
    where = _address(posted.channel, posted.ts, posted.target)
    await call("chat.unfurl", slack.chat_unfurl(unfurls=unfurls, **where))


async def redraw_clicked(
    deps: ListenerDeps, found: Found, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """Refresh on a card in a channel: `found` drawn again there, as that channel may see
    it, still crediting who shared it; a message that cannot be updated is replaced."""
    channel = _channel_of(body)
    full = not channel or await deps.sharing.card_mode(channel) is CardMode.FULL
    where = clicked(body, CardMode.FULL if full else CardMode.MINIMAL)
    shared_by = await sharer(deps.live, found, where, body)
    card = render(found, deps.cards, minimal=not full, shared_by=shared_by, refreshed=True)
    if where is not None:
        try:
            await draw(deps.slack, where, card)
            return
        except SlackCallFailed as failed:
            logged(failed)
    if not (body.get("container") or {}).get("is_app_unfurl"):
        await reply(respond, card, replace_original=True)


def clicked(body: dict[str, Any], mode: CardMode) -> Posted | None:
    """Where the card a button was clicked on is, or None when it cannot be addressed."""
    container = body.get("container") or {}
    channel, ts = _channel_of(body), str(container.get("message_ts") or "")
    url = None
    if container.get("is_app_unfurl"):
        url = str((body.get("app_unfurl") or {}).get("app_unfurl_url") or "") or None
        if url is None:
            return None
    return Posted(channel, ts, mode, url=url) if channel and ts else None


async def sharer(
    book: CardBook | None, found: Found, where: Posted | None, body: dict[str, Any]
) -> str | None:
    """Who shared the clicked card: the record kept of it. A card without one (shared at a
    response_url, whose ts the bot never learns) still credits its own context line."""
    if book is not None and where is not None:
        kept = await book.kept(found.snapshot.customer.display_id, where)
        if kept is not None:
            return kept.shared_by
    return shared_by_in((body.get("message") or {}).get("blocks"))


def _channel_of(body: dict[str, Any]) -> str:
    container = body.get("container") or {}
    return str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")


def _address(channel: str, ts: str, target: Target) -> dict[str, Any]:
    """chat.unfurl's address: unfurl_id and source when known, else channel and ts."""
    pairs = dict(target)
    if pairs:
        return {"unfurl_id": pairs["unfurl_id"], "source": pairs["source"]}
    return {"channel": channel or None, "ts": ts or None}
