"""Who the bot is in Slack: one auth.test, shared by every request and primed at start-up."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import event

log = logging.getLogger(__name__)


class BotIdentity:
    """Bolt's `authorize` for a single workspace.

    Bolt's own single-team authorization calls auth.test from every request that arrives
    before the first answer, so a burst after a deploy costs one Slack call per request.
    """

    def __init__(self, client: AsyncWebClient):
        self._client = client
        self._result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

    async def authorize(self) -> AuthorizeResult:
        if self._result is None:
            async with self._lock:
                if self._result is None:
                    response = await self._client.auth_test()
                    self._result = AuthorizeResult.from_auth_test_response(
                        bot_token=self._client.token, auth_test_response=response
                    )
        return self._result

    async def prime(self) -> None:
        """Look the identity up before the first request; a failure is retried on demand."""
        try:
            result = await self.authorize()
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            event(log, "slack.auth_test.failed", logging.WARNING, error=type(exc).__name__)
            return
        event(log, "slack.identity", team=result.team_id, bot_user=result.bot_user_id)
