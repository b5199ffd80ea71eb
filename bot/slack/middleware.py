"""Request-level rules that run after Bolt's signature check: workspace allow-list, dedupe."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.logs import event

log = logging.getLogger(__name__)
Next = Callable[[], Awaitable[BoltResponse | None]]


class EventLog(Protocol):
    """Remembers event_ids: in this process, or in Redis across replicas."""

    async def first_time(self, event_id: str) -> bool: ...


def register(app: AsyncApp, allowed: frozenset[str], dedupe: EventLog) -> None:
    """The allow-list (when `allowed` names workspaces) and event dedupe through `dedupe`."""

    async def only_allowed_workspaces(context: AsyncBoltContext, next: Next) -> BoltResponse | None:
        if not ({context.team_id, context.enterprise_id} & allowed):
            event(log, "slack.request.refused", logging.WARNING, team=context.team_id,
                  enterprise=context.enterprise_id)  # fmt: skip
            return BoltResponse(status=403, body="This workspace may not use this app.")
        return await next()

    if allowed:  # every middleware costs each request a little; register only when used
        app.middleware(only_allowed_workspaces)

    @app.middleware
    async def once_per_event(body: dict[str, Any], next: Next) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not await dedupe.first_time(event_id):
            event(log, "slack.event.duplicate", event_id=event_id)
            return BoltResponse(status=200, body="")
        return await next()
