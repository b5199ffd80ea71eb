"""The type-ahead picker: options from memory as the user types, and what a choice does."""

from __future__ import annotations

import logging
import time

from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.blocks import ids
from bot.blocks.picker import MAX_OPTIONS, picker_options
from bot.logs import event
from bot.lookup.query import MAX_TEXT
from bot.slack.deps import ListenerDeps
from bot.slack.listen import Reply, listen
from bot.slack.views import show_chosen

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: ListenerDeps) -> None:
    listen(app.options(ids.PICKER), deps, on_options)
    listen(app.action(ids.PICKER), deps, on_chosen)
    listen(app.action(ids.HOME_RECENT_PICK), deps, on_chosen)


def on_options(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    # Answered from the in-memory directory only: Slack waits at most 3 s.
    started = time.monotonic()
    typed = str((args.payload or {}).get("value") or "")[:MAX_TEXT]
    found = deps.directory.search(typed, limit=MAX_OPTIONS)
    options = picker_options([snap.customer for snap in found.hits])
    event(log, "slack.options", count=len(options),
          total=found.total, ms=(time.monotonic() - started) * 1000)  # fmt: skip
    return Reply({"options": options})


def on_chosen(deps: ListenerDeps, args: AsyncArgs) -> Reply:
    ref = ids.customer_of(args.action or {})
    if ref is None:
        return Reply()
    body, respond = args.body, args.respond
    return Reply(later=lambda: show_chosen(deps, body, respond, ref))
