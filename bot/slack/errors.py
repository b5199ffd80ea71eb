"""The one place that catches everything: log it, tell the user something, never crash."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse

from bot.blocks import notices
from bot.logs import event
from bot.slack.replies import reply

log = logging.getLogger(__name__)
T = TypeVar("T")


def guarded(listener: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T | None]]:
    """Run a listener so that no exception escapes it: the request is still acked (an
    exception would make Bolt drop or replace the ack) and the user still hears back."""

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> T | None:
        try:
            return await listener(**kwargs)
        except Exception as error:
            _report(listener.__name__, error)
            args = kwargs.get("args")  # listeners taking Bolt's AsyncArgs (bot/slack/listen.py)
            ack, respond = (
                (kwargs.get("ack"), kwargs.get("respond"))
                if args is None
                else (getattr(args, "ack", None), getattr(args, "respond", None))
            )
            await _tell_user(ack, respond)
            return None

    return run


async def contained(work: Awaitable[None], respond: AsyncRespond | None = None) -> None:
    """Run work spawned after an ack; a failure is logged and the user still hears back."""
    try:
        await work
    except Exception as error:
        _report("after_ack", error)
        await _tell_user(None, respond)


def _report(where: str, error: Exception) -> None:
    event(log, "slack.listener.error", logging.ERROR, listener=where, error=type(error).__name__)
    log.debug("listener traceback", exc_info=error)


async def _tell_user(ack: AsyncAck | None, respond: AsyncRespond | None) -> None:
    if ack is not None and ack.response is None:
        await ack()
    if respond is not None:
        await reply(respond, notices.internal_error(), replace_original=False)


def register(app: AsyncApp) -> None:
    """Errors outside listeners (middleware, the framework): log, never answer elsewhere."""

    @app.error
    async def on_error(
        error: Exception,
        body: dict[str, Any],
        response: BoltResponse | None,
    ) -> BoltResponse | None:
        kind = body.get("type") or ("command" if "command" in body else "unknown")
        event(log, "slack.listener.error", logging.ERROR, kind=kind, error=type(error).__name__)
        log.debug("listener traceback", exc_info=error)
        message = notices.internal_error()
        if response is not None and response.status != 200 and "command" in body:
            # Not acked yet: the error text can be the command's own answer.
            return BoltResponse(
                status=200,
                body={"response_type": "ephemeral", "text": message.text, "blocks": message.blocks},
            )
        # Nothing is posted to the body's response_url here: this handler also sees
        # requests whose signature check itself failed, and those URLs are not Slack's.
        return None
