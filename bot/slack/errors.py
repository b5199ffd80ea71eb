"""The one @app.error handler: log, tell the user something, never crash."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse

from bot.blocks import errors as messages
from bot.logs import event

if TYPE_CHECKING:
    from bot.app import Deps

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.error
    async def on_error(
        error: Exception,
        body: dict[str, Any],
        respond: AsyncRespond | None,
        response: BoltResponse | None,
    ) -> BoltResponse | None:
        kind = body.get("type") or ("command" if "command" in body else "unknown")
        event(log, "slack.listener.error", logging.ERROR, kind=kind, error=type(error).__name__)
        log.debug("listener traceback", exc_info=error)
        message = messages.internal_error()
        if response is not None and response.status != 200 and "command" in body:
            # Not acked yet: the error text can be the command's own answer.
            return BoltResponse(
                status=200,
                body={"response_type": "ephemeral", "text": message.text, "blocks": message.blocks},
            )
        if respond is not None and body.get("response_url"):
            try:
                await respond(text=message.text, blocks=message.blocks, replace_original=False)
            except Exception as exc:  # the answer to an error must not raise again
                event(log, "slack.respond.failed", logging.WARNING, error=type(exc).__name__)
        return None
