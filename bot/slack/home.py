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

from bot.blocks.surfaces import MAX_LISTED, View, home_view
from bot.logs import event
from bot.pivotal.models import Customer
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.webapi import attempt

log = logging.getLogger(__name__)
Published = LRUCache[str, str]  # user -> digest of the view last published


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    published: Published = LRUCache(maxsize=20_000)
    listen(app.event("app_home_opened"), deps, partial(on_home_opened, published))


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
    """`user`'s recent lookups, then customers linked to channels they looked up from."""
    recent = await deps.recent.recent(user)
    mine = _customers(deps, (x.ref for x in recent))
    seen = {c.id for c in mine}
    linked: list[Customer] = []
    for channel in dict.fromkeys(x.channel for x in recent if x.channel):
        for snap in deps.directory.by_channel(channel):
            if snap.customer.id not in seen and len(linked) < MAX_LISTED:
                seen.add(snap.customer.id)
                linked.append(snap.customer)
    return home_view(mine, linked)


def _customers(deps: ListenerDeps, refs: Iterable[str]) -> list[Customer]:
    """Current directory copies of `refs`, in order; customers gone from Pivotal drop out."""
    found = []
    for ref in refs:
        snap = deps.directory.get(ref)
        if snap is not None:
            found.append(snap.customer)
    return found
