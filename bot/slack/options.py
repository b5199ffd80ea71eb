"""The type-ahead picker: options from memory as the user types, and what a choice does."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.blocks import ids
from bot.blocks.picker import MAX_OPTIONS, picker_options
from bot.logs import event
from bot.lookup.query import MAX_TEXT
from bot.slack.errors import contained, guarded
from bot.slack.views import show_chosen

if TYPE_CHECKING:
    from bot.slack.deps import ListenerDeps

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    @guarded
    async def on_options(ack: AsyncAck, payload: dict[str, Any]) -> None:
        # Answered from the in-memory directory only: Slack waits at most 3 s.
        started = time.monotonic()
        typed = str(payload.get("value") or "")[:MAX_TEXT]
        found = deps.directory.search(typed, limit=MAX_OPTIONS)
        options = picker_options([snap.customer for snap in found.hits])
        await ack(options=options)
        event(log, "slack.options", count=len(options),
              total=found.total, ms=(time.monotonic() - started) * 1000)  # fmt: skip

    @guarded
    async def on_chosen(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        selected = action.get("selected_option") or {}
        value = action.get("value") or selected.get("value") or ""
        ref = ids.decode_customer_value(str(value))
        if ref is not None:
            deps.inflight.spawn(contained(show_chosen(deps, body, respond, ref), respond))

    app.options(ids.PICKER)(on_options)
    app.action(ids.PICKER)(on_chosen)
    app.action(ids.HOME_RECENT_PICK)(on_chosen)
