"""Slack's lifecycle events keep follows honest: archived channels pause theirs, unarchived
ones resume them, deleted channels drop them, the bot removed from a channel pauses them
(invited back: resumed), an uninstalled app or revoked bot token drops the workspace's.

Nothing stops silently: a paused follow keeps its reason, which `/customer following` shows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.follows.reasons import BOT_REMOVED, CHANNEL_ARCHIVED
from bot.logs import event
from bot.lookup.durable import StoreUnavailable
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen

log = logging.getLogger(__name__)

ARCHIVED = ("channel_archive", "group_archive")
UNARCHIVED = ("channel_unarchive", "group_unarchive")
DELETED = ("channel_deleted", "group_deleted")
BOT_LEFT = ("channel_left", "group_left")  # sent to the bot itself when it is removed
GONE = ("app_uninstalled", "tokens_revoked")


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    for name in (*ARCHIVED, *UNARCHIVED, *DELETED, *BOT_LEFT, *GONE,
                 "member_left_channel", "member_joined_channel"):  # fmt: skip
        listen(app.event(name), deps, on_lifecycle)


def on_lifecycle(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    body, happened = args.body or {}, args.event or {}
    kind = str(happened.get("type") or "")
    channel = happened.get("channel")
    channel = channel.get("id") if isinstance(channel, dict) else channel
    channel_id = channel if isinstance(channel, str) else ""
    bot_user = _bot_user(args, body)
    follows = deps.follows

    async def work() -> int:
        if kind in ARCHIVED and channel_id:
            return len(await follows.pause_channel(channel_id, CHANNEL_ARCHIVED))
        if kind in UNARCHIVED and channel_id:
            return await follows.resume_channel(channel_id, reasons=(CHANNEL_ARCHIVED,))
        if kind in DELETED and channel_id:
            return await follows.remove_channel(channel_id)
        is_bot = bool(bot_user) and happened.get("user") == bot_user
        if (kind in BOT_LEFT or (kind == "member_left_channel" and is_bot)) and channel_id:
            return len(await follows.pause_channel(channel_id, BOT_REMOVED))
        if kind == "member_joined_channel" and is_bot and channel_id:
            return await follows.resume_channel(channel_id, reasons=(BOT_REMOVED,))
        if kind == "app_uninstalled" or (kind == "tokens_revoked" and revokes_bot_tokens(happened)):
            return await follows.remove_team(str(body.get("team_id") or "") or None)
        return -1

    return Reply(later=lambda: _logged(kind, channel_id, work))


async def _logged(kind: str, channel: str, work: Callable[[], Awaitable[int]]) -> None:
    try:
        count = await work()
    except StoreUnavailable:
        event(log, "follow.lifecycle_unrecorded", logging.ERROR, slack_event=kind, channel=channel)
        return
    if count >= 0:
        event(log, "follow.lifecycle", slack_event=kind, channel=channel, follows=count)


def _bot_user(args: AsyncArgs, body: dict[str, Any]) -> str:
    """The bot's own user id: from the authorization Bolt made, else the event's envelope."""
    found = getattr(args.context, "bot_user_id", None) if args.context is not None else None
    if found:
        return str(found)
    for authorization in body.get("authorizations") or []:
        if isinstance(authorization, dict) and authorization.get("is_bot"):
            return str(authorization.get("user_id") or "")
    return ""


def revokes_bot_tokens(happened: dict[str, Any]) -> bool:
    """tokens_revoked names the bot's token(s) under `tokens.bot` (user tokens: `oauth`)."""
    tokens = happened.get("tokens")
    return isinstance(tokens, dict) and bool(tokens.get("bot"))
