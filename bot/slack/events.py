"""Workspace events that keep the bot's view of channels current."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.event("channel_shared"), deps, on_sharing_changed)
    listen(app.event("channel_unshared"), deps, on_sharing_changed)


def on_sharing_changed(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    """A channel was shared or unshared: what it may see is asked again next time."""
    channel = (args.event or {}).get("channel")
    if isinstance(channel, str):
        return Reply(later=lambda: deps.sharing.forget(channel))
    return Reply()
