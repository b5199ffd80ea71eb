"""App Home: each user's own tab, republished only when what it shows has changed."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from cachetools import LRUCache
from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks import ids
from bot.blocks.follow import Shown
from bot.blocks.surfaces import HOME_LISTED, MAX_LISTED, HomeList, View, home_view
from bot.blocks.text import escape
from bot.logs import event
from bot.lookup.durable import StoreUnavailable
from bot.lookup.filters import Filter
from bot.pivotal.models import Customer
from bot.slack import lists
from bot.slack.deps import ListenerDeps
from bot.slack.follow_labels import home_follows
from bot.slack.listen import Reply, listen
from bot.slack.people import Person
from bot.slack.recents import user_of
from bot.slack.webapi import SlackCallFailed, attempt, call, logged

log = logging.getLogger(__name__)
Published = LRUCache[str, str]  # user -> digest of the view last published


MINE = Filter(owners=frozenset({"me"}), sort="health")


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    published: Published = LRUCache(maxsize=20_000)
    listen(app.event("app_home_opened"), deps, partial(on_home_opened, published))
    listen(app.action(ids.HOME_LIST), deps, on_show_all)


def on_home_opened(published: Published, deps: ListenerDeps, args: AsyncArgs) -> Reply:
    opened = args.event or {}
    user, shown = str(opened.get("user") or ""), opened.get("view") or {}
    if opened.get("tab", "home") != "home" or not user:
        return Reply()
    return Reply(later=lambda: publish(deps, published, user, shown))


async def publish(deps: ListenerDeps, published: Published, user: str, shown: Any) -> None:
    """Publish `user`'s tab, unless it would show what it already shows."""
    view = await home_for(deps, user)
    digest = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()
    if published.get(user) == digest:
        event(log, "slack.home", user=user, outcome="unchanged")
        return
    options: dict[str, Any] = {"user_id": user, "view": view}
    if shown.get("hash"):
        options["hash"] = shown["hash"]  # Slack refuses it if the tab changed meanwhile
    if await attempt("views.publish", deps.slack.views_publish(**options)):
        published[user] = digest
        event(log, "slack.home", user=user, outcome="published")


async def home_for(deps: ListenerDeps, user: str) -> View:
    """`user`'s lists (their customers, those needing attention), recent lookups, then
    customers linked to channels they looked up from."""
    sections = await home_lists(deps, user) if deps.lists.ready else []
    recent = await deps.recent.recent(user)
    mine = _customers(deps, (x.ref for x in recent))
    seen = {c.id for c in mine}
    linked: list[Customer] = []
    for channel in dict.fromkeys(x.channel for x in recent if x.channel):
        for snap in deps.directory.by_channel(channel):
            if snap.customer.id not in seen and len(linked) < MAX_LISTED:
                seen.add(snap.customer.id)
                linked.append(snap.customer)
    return home_view(mine, linked, sections, await _follows(deps, user))


async def _follows(deps: ListenerDeps, user: str) -> list[Shown] | None:
    """ "You follow"; left out while the database is away."""
    try:
        return await home_follows(deps, user)
    except StoreUnavailable:
        return None


async def home_lists(deps: ListenerDeps, user: str) -> list[HomeList]:
    """ "Your customers" (owned by `user`, lowest health first) and "Needs attention"."""
    person = await deps.people.person(user)
    email = person.email if isinstance(person, Person) else None
    mine = await deps.lists.portfolio(MINE, me=email)
    if email is None:
        empty = "The bot cannot read your email from Slack, so it cannot tell which are yours."
    elif mine.owner_unknown:
        empty = "Owners are not known yet: Pivotal tells them only through its webhooks."
    else:
        empty = f"No customer in Pivotal has {escape(email)} as its owner."
    attention = await deps.lists.attention()
    return [
        HomeList("Your customers", mine.count, mine.page(1, HOME_LISTED).rows, empty,
                 ids.list_value(MINE.canonical())),
        HomeList("Needs attention", attention.count, attention.page(1, HOME_LISTED).rows,
                 "Nothing: no customer is at risk or down 10+ health points this week.",
                 ids.list_value(ids.ATTENTION)),
    ]  # fmt: skip


def on_show_all(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    """A Home list's "Show all": the whole list, paged, in the user's DM with the app."""
    named, user = ids.list_of(args.action or {}), user_of(args.body)
    selected = lists.selection(named[0]) if named is not None else None
    if selected is None or not user:
        return Reply()
    return Reply(later=lambda: show_all(deps, selected, user))


async def show_all(deps: ListenerDeps, selected: lists.Selection, user: str) -> None:
    try:
        opened = await call("conversations.open", deps.slack.conversations_open(users=user))
        dm = str((opened.get("channel") or {}).get("id") or "")
        message, count = await lists.list_for(deps, selected, user, 1)
        post = deps.slack.chat_postMessage(channel=dm, text=message.text, blocks=message.blocks)
        await call("chat.postMessage", post)
    except SlackCallFailed as failed:
        logged(failed, "slack.home.list_failed", user=user)
        return
    event(log, "slack.home.list", user=user, count=count)


def _customers(deps: ListenerDeps, refs: Iterable[str]) -> list[Customer]:
    """Current directory copies of `refs`, in order; customers gone from Pivotal drop out."""
    found = []
    for ref in refs:
        snap = deps.directory.get(ref)
        if snap is not None:
            found.append(snap.customer)
    return found
