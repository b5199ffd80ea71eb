"""Request-level rules that run after Bolt's signature check: workspace allow-list, dedupe."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.logs import event

log = logging.getLogger(__name__)
Next = Callable[[], Awaitable[BoltResponse | None]]

# Slack retries an event for up to about 5 minutes; remember ids well past that.
EVENT_MEMORY_SECONDS = 3600


class EventDedupe:
    """Each event_id is processed once, including retries of a delivery whose ack was lost."""

    def __init__(self, *, timer: Callable[[], float] = time.monotonic):
        self._seen: TTLCache[str, bool] = TTLCache(50_000, ttl=EVENT_MEMORY_SECONDS, timer=timer)

    def first_time(self, event_id: str) -> bool:
        if event_id in self._seen:
            return False
        self._seen[event_id] = True
        return True


def register(app: AsyncApp, allowed: frozenset[str]) -> None:
    """The allow-list (when `allowed` names workspaces) and event dedupe."""
    dedupe = EventDedupe()

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
        if isinstance(event_id, str) and not dedupe.first_time(event_id):
            event(log, "slack.event.duplicate", event_id=event_id)
            return BoltResponse(status=200, body="")
        return await next()
