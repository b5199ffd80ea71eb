"""Workspace events that keep the bot's view of channels current."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

if TYPE_CHECKING:
    from bot.app import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_sharing_changed(event: dict[str, Any]) -> None:
        channel = event.get("channel")
        if isinstance(channel, str):
            await deps.sharing.forget(channel)

    app.event("channel_shared")(on_sharing_changed)
    app.event("channel_unshared")(on_sharing_changed)
