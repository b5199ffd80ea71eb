"""Answers at a response_url: sent once, and a refused or failed post is logged, not lost."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncRespond

from bot.blocks.message import Message
from bot.logs import event

log = logging.getLogger(__name__)


async def reply(respond: AsyncRespond, message: Message | None = None, **options: Any) -> bool:
    """Post `message` (with Slack options such as response_type); False if it did not land."""
    if message is not None:
        options = {"text": message.text, "blocks": message.blocks, **options}
    try:
        result = await respond(**options)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        event(log, "slack.respond.failed", logging.WARNING, error=type(exc).__name__)
        return False
    if result.status_code >= 300:
        event(log, "slack.respond.failed", logging.WARNING, status=result.status_code,
              body=result.body[:100])  # fmt: skip
        return False
    return True


async def tell(respond: AsyncRespond, message: Message) -> bool:
    """Answer only the person who clicked, beside the message they clicked (which stays)."""
    return await reply(respond, message, response_type="ephemeral", replace_original=False)
