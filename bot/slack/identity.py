"""Who the bot is in Slack: one auth.test, shared by every request and primed at start-up."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import event
from bot.slack.webapi import SlackCallFailed, call

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
        """Slack's errors stay SlackApiError here: Bolt turns those into its own answer."""
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
            result = await call("auth.test", self.authorize())
        except SlackCallFailed as failed:
            event(log, "slack.auth_test.failed", logging.WARNING, error=failed.error)
            return
        event(log, "slack.identity", team=result.team_id, bot_user=result.bot_user_id)
