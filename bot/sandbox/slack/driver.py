"""Plays Slack's part towards the bot: signed slash commands, events and button clicks."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.slack import payloads
from bot.sandbox.slack.payloads import MESSAGE_TS, TEAM_ID
from bot.sandbox.slack.server import FakeSlack


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for `body`, as slack_sdk computes them."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""}


class SlackDriver:
    """Sends what Slack would send to the bot at `url`, signed with `secret`."""

    def __init__(self, url: str, secret: str, slack: FakeSlack, http: httpx.AsyncClient):
        self.url = url.rstrip("/")
        self.secret = secret
        self.slack = slack
        self.http = http
        self._ids = itertools.count(1)

    def _mint(self, prefix: str) -> tuple[str, str]:
        """A fresh token (it also names the trigger_id) and the response_url it answers on."""
        token = f"{prefix}{next(self._ids)}"
        return token, self.slack.response_url(token)

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        signed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {"Content-Type": content_type}
        if signed:
            all_headers.update(sign(body, secret=self.secret))
        all_headers.update(headers or {})
        return await self.http.post(f"{self.url}/slack/events", content=body, headers=all_headers)

    def command_body(
        self, text: str, *, channel_id: str = "C0GENERAL", team_id: str = TEAM_ID
    ) -> tuple[bytes, str]:
        """A /customer form body and the token of its response_url."""
        token, url = self._mint("cmd")
        form = payloads.command_form(text, token, url, channel_id=channel_id, team_id=team_id)
        return urlencode(form).encode(), token

    async def command(
        self, text: str, *, channel_id: str = "C0GENERAL", team_id: str = TEAM_ID
    ) -> tuple[httpx.Response, str]:
        """Send `/customer text`; returns the ack and the response_url token."""
        body, token = self.command_body(text, channel_id=channel_id, team_id=team_id)
        return await self.post(body, "application/x-www-form-urlencoded"), token

    async def answer(self, token: str, timeout: float = 8.0) -> dict[str, Any]:
        """The first message posted to response_url `token`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for post in self.slack.responses:
                if post.token == token:
                    return dict(post.body)
            await asyncio.sleep(0.005)
        raise TimeoutError(f"nothing reached response_url {token} in {timeout} s")

    async def lookup(self, text: str, *, channel_id: str = "C0GENERAL") -> dict[str, Any]:
        """The message a person sees for `/customer text`: the ack's, else the response_url's."""
        ack, token = await self.command(text, channel_id=channel_id)
        ack.raise_for_status()
        if ack.content:
            return dict(ack.json())
        return await self.answer(token)

    def event_body(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        ext_shared: bool | None = False,
        team_id: str = TEAM_ID,
    ) -> bytes:
        event_id = event_id or f"Ev{next(self._ids):08d}"
        envelope = payloads.event_envelope(event, event_id, ext_shared=ext_shared, team_id=team_id)
        return json.dumps(envelope).encode()

    async def send_event(
        self, event: dict[str, Any], *, ext_shared: bool | None = None, team_id: str = TEAM_ID
    ) -> httpx.Response:
        """Any Events API event (channel_archive, member_left_channel, app_uninstalled …)."""
        body = self.event_body(event, ext_shared=ext_shared, team_id=team_id)
        return await self.post(body, "application/json")

    async def link_shared(
        self,
        urls: list[str],
        *,
        channel: str = "C0GENERAL",
        event_id: str | None = None,
        ext_shared: bool | None = False,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        """A link_shared event for `urls` posted in `channel`."""
        event = payloads.link_shared_event(urls, channel, extra)
        body = self.event_body(event, event_id=event_id, ext_shared=ext_shared)
        return await self.post(body, "application/json", headers=headers)

    async def action(
        self, action_id: str, value: str, *, channel_id: str = "C0GENERAL"
    ) -> tuple[httpx.Response, str]:
        """A click on a button of an ephemeral message; returns the ack and response token."""
        button = {"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                  "action_ts": "1732560000.1"}  # fmt: skip
        return await self.press(button, channel_id=channel_id)

    async def press(
        self,
        action: dict[str, Any],
        *,
        channel_id: str = "C0GENERAL",
        message_ts: str = MESSAGE_TS,
        ephemeral: bool = True,
        message: dict[str, Any] | None = None,
        unfurl: str | None = None,
    ) -> tuple[httpx.Response, str]:
        """A block_actions payload for `action` (one element of `actions`) on a message, or
        on the bot's preview of the link `unfurl` in that message.

        Slack sends the message itself only for messages everyone sees (not ephemeral ones).
        Returns the ack and the token of the payload's response_url.
        """
        if unfurl is not None:
            container = {
                "type": "message_attachment",
                "is_app_unfurl": True,
                "channel_id": channel_id,
                "message_ts": message_ts,
                "attachment_id": 1,
            }
            payload, token = self._block_actions(
                action,
                container=container,
                channel_id=channel_id,
                app_unfurl={"id": 1, "app_unfurl_url": unfurl},
            )
            return await self.interact(payload), token  # fmt: skip
        token, url = self._mint("act")
        payload = payloads.message_block_actions(
            action, token, url, channel_id, message_ts, ephemeral=ephemeral, message=message
        )
        return await self.interact(payload), token

    # ---- the interactive surfaces (payloads.py builds them in the shapes Slack sends) -------

    async def interact(self, payload: dict[str, Any]) -> httpx.Response:
        """POST one interactivity payload (form field `payload`), signed."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")

    async def suggest(
        self, value: str, *, container: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A block_suggestion: the user typed `value` into the customer picker."""
        return await self.interact(payloads.block_suggestion(value, container))

    def _block_actions(
        self,
        action: dict[str, Any],
        *,
        container: dict[str, Any],
        channel_id: str | None,
        view: dict[str, Any] | None = None,
        **extra: Any,
    ) -> tuple[dict[str, Any], str]:
        token = f"act{next(self._ids)}"
        url = self.slack.response_url(token) if channel_id is not None else None
        payload = payloads.block_actions(
            action, token, container, channel_id, url, view=view, extra=extra
        )
        return payload, token

    async def choose(
        self,
        value: str,
        *,
        channel_id: str | None = "C0GENERAL",
        view: dict[str, Any] | None = None,
    ) -> tuple[httpx.Response, str]:
        """A choice in the picker (external_select) in a message, a modal or the Home tab."""
        action = {
            "type": "external_select",
            "action_id": "customer_picker",
            "selected_option": {"text": {"type": "plain_text", "text": "…"}, "value": value},
        }
        if view is not None:
            container = {"type": "view", "view_id": view.get("id", "V0")}
        else:
            container = {"type": "message", "is_ephemeral": True, "channel_id": channel_id}
        payload, token = self._block_actions(
            action, container=container, channel_id=None if view else channel_id, view=view
        )
        return await self.interact(payload), token

    async def press_in(
        self,
        action_id: str,
        value: str,
        *,
        container: dict[str, Any],
        channel_id: str | None = "C0GENERAL",
        view: dict[str, Any] | None = None,
        **extra: Any,
    ) -> tuple[httpx.Response, str]:
        """A button click in any container (ephemeral, posted message, unfurl, view)."""
        action = {"type": "button", "action_id": action_id, "value": value}
        payload, token = self._block_actions(
            action, container=container, channel_id=channel_id, view=view, **extra
        )
        return await self.interact(payload), token

    async def message_shortcut(
        self, text: str, *, channel_id: str = "C0GENERAL", callback_id: str = "lookup_customer"
    ) -> tuple[httpx.Response, str]:
        """The "Look up customer" message shortcut on a message saying `text`."""
        token, url = self._mint("msc")
        payload = payloads.message_shortcut(text, token, url, channel_id, callback_id)
        return await self.interact(payload), token

    async def global_shortcut(self, callback_id: str = "find_customer") -> httpx.Response:
        """The "Find a customer" global shortcut."""
        trigger_id = f"gsc{next(self._ids)}.trigger"
        return await self.interact(payloads.global_shortcut(callback_id, trigger_id))

    async def submit_view(self, view: dict[str, Any], values: dict[str, Any]) -> httpx.Response:
        """A view_submission of `view` (as the bot last sent it) with input `values`."""
        trigger_id = f"vs{next(self._ids)}.trigger"
        return await self.interact(payloads.view_submission(view, values, trigger_id))

    async def home_opened(self, *, view: dict[str, Any] | None = None) -> httpx.Response:
        """app_home_opened on the Home tab (`view` is what the tab showed, with its hash)."""
        event = payloads.home_opened_event(view)
        return await self.post(self.event_body(event, ext_shared=None), "application/json")
