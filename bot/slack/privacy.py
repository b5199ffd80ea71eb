"""Is a channel shared with another organisation, and so what may a card show there?

Sharing status is cached per channel and fails closed (unknown counts as shared).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.message import CardMode
from bot.logs import event
from bot.slack.webapi import SlackCallFailed, call
from bot.state.memory import MemorySharing

__all__ = ["CardMode", "ChannelSharing", "SharingStore"]  # CardMode: bot/blocks/message.py

log = logging.getLogger(__name__)


class SharingStore(Protocol):
    """Where learned sharing status is kept: this process, or Redis for every replica."""

    async def get(self, channel_id: str) -> bool | None: ...
    async def put(self, channel_id: str, external: bool) -> None: ...
    async def forget(self, channel_id: str) -> None: ...


class ChannelSharing:
    """Answers "could people outside this workspace see a message here?"."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        shared: CardMode = CardMode.MINIMAL,
        ttl: float = 600,
        timer: Callable[[], float] = time.monotonic,
        store: SharingStore | None = None,
    ):
        self._client = client
        self._shared = shared
        self._known = store if store is not None else MemorySharing(ttl=ttl, timer=timer)

    async def forget(self, channel_id: str) -> None:
        """Called when a channel is shared or unshared."""
        await self._known.forget(channel_id)

    async def card_mode(self, channel_id: str, hint: object = None) -> CardMode:
        """Full in this workspace's own channels; the configured mode where others may look."""
        return self._shared if await self.is_external(channel_id, hint) else CardMode.FULL

    async def is_external(self, channel_id: str, hint: object = None) -> bool:
        """`hint` is the event's is_ext_shared_channel when the event carried one."""
        if isinstance(hint, bool):
            await self._known.put(channel_id, hint)
            return hint
        if channel_id.startswith("D"):
            return False  # a direct message is never shared with another organisation
        known = await self._known.get(channel_id)
        if known is not None:
            return known
        try:
            response = await call(
                "conversations.info", self._client.conversations_info(channel=channel_id)
            )
        except SlackCallFailed as failed:
            event(log, "slack.channel_info.failed", logging.WARNING, channel=channel_id,
                  error=failed.error, assumed="external")  # fmt: skip
            return True  # unknown sharing status: fail closed
        channel = response.get("channel") or {}
        external = bool(
            channel.get("is_ext_shared")
            or channel.get("is_pending_ext_shared")
            or channel.get("connected_team_ids")
        )
        await self._known.put(channel_id, external)
        return external
