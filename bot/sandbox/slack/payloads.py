"""What Slack sends the bot, in Slack's shapes: slash-command forms, event envelopes, interactions.

Pure builders for ``SlackDriver``; it hands in the tokens and response_urls it mints.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

TEAM_ID = "T0SANDBOX"
USER_ID = "U0PERSON"
APP_ID = "A0PIVOTAL"
MESSAGE_TS = "1732560000.000100"
_LEGACY_TOKEN = "legacy-verification-token"


def _user() -> dict[str, Any]:
    return {"id": USER_ID, "username": "pat", "name": "pat", "team_id": TEAM_ID}


def _team() -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": "sandbox"}


def command_form(
    text: str, token: str, response_url: str, *, channel_id: str, team_id: str
) -> dict[str, str]:
    """The form fields of `/customer text`."""
    return {
        "token": _LEGACY_TOKEN,
        "team_id": team_id,
        "team_domain": "sandbox",
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": USER_ID,
        "user_name": "pat",
        "command": "/customer",
        "text": text,
        "api_app_id": APP_ID,
        "response_url": response_url,
        "trigger_id": f"{token}.trigger",
    }


def event_envelope(
    event: dict[str, Any], event_id: str, *, ext_shared: bool | None, team_id: str
) -> dict[str, Any]:
    """An Events API ``event_callback`` around `event` (``is_ext_shared_channel`` unless None)."""
    envelope: dict[str, Any] = {
        "token": _LEGACY_TOKEN,
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": "U0BOT", "is_bot": True}],
    }
    if ext_shared is not None:
        envelope["is_ext_shared_channel"] = ext_shared
    return envelope


def link_shared_event(urls: list[str], channel: str, extra: dict[str, Any]) -> dict[str, Any]:
    """A link_shared event for `urls` posted in `channel` (`extra` adds or overrides fields)."""
    return {
        "type": "link_shared",
        "channel": channel,
        "user": USER_ID,
        "message_ts": MESSAGE_TS,
        "links": [{"domain": urlsplit(u).hostname or "", "url": u} for u in urls],
        "is_bot_user_member": True,
        "event_ts": "1732560000.000200",
        **extra,
    }


def home_opened_event(view: dict[str, Any] | None) -> dict[str, Any]:
    """app_home_opened on the Home tab (`view` is what the tab showed, with its hash)."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": USER_ID,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1732560000.000300",
    }
    if view is not None:
        event["view"] = view
    return event


def message_block_actions(
    action: dict[str, Any],
    token: str,
    response_url: str,
    channel_id: str,
    message_ts: str,
    *,
    ephemeral: bool,
    message: dict[str, Any] | None,
) -> dict[str, Any]:
    """block_actions for `action` on a message; only a message everyone sees comes with it."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": _team(),
        "user": {"id": USER_ID, "username": "pat", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": _LEGACY_TOKEN,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                      "is_ephemeral": ephemeral},
        "channel": {"id": channel_id, "name": "general"},
        "trigger_id": f"{token}.trigger",
        "response_url": response_url,
        "state": {"values": {}},
        "actions": [action],
    }  # fmt: skip
    if message is not None and not ephemeral:
        payload["message"] = {"type": "message", "ts": message_ts, **message}
    return payload


def block_actions(
    action: dict[str, Any],
    token: str,
    container: dict[str, Any],
    channel_id: str | None,
    response_url: str | None,
    *,
    view: dict[str, Any] | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """block_actions in any container; channel and response_url only come with a channel."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": _team(),
        "user": {"id": USER_ID, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "container": container,
        "trigger_id": f"{token}.trigger",
        "actions": [{"block_id": "b1", "action_ts": "1732560000.1", **action}],
        **extra,
    }
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": "general"}
        payload["response_url"] = response_url
    if view is not None:
        payload["view"] = view
    return payload


def block_suggestion(value: str, container: dict[str, Any] | None) -> dict[str, Any]:
    """The user typed `value` into the customer picker."""
    return {
        "type": "block_suggestion",
        "user": _user(),
        "container": container or {"type": "message", "is_ephemeral": True},
        "api_app_id": APP_ID,
        "token": _LEGACY_TOKEN,
        "action_id": "customer_picker",
        "block_id": "customer_picker_block",
        "value": value,
        "team": _team(),
    }


def message_shortcut(
    text: str, token: str, response_url: str, channel_id: str, callback_id: str
) -> dict[str, Any]:
    """A message shortcut run on a message saying `text`."""
    return {
        "type": "message_action",
        "token": _LEGACY_TOKEN,
        "action_ts": "1732560000.207593",
        "team": _team(),
        "user": {"id": USER_ID, "name": "pat"},
        "channel": {"id": channel_id, "name": "general"},
        "callback_id": callback_id,
        "trigger_id": f"{token}.trigger",
        "message_ts": MESSAGE_TS,
        "message": {"type": "message", "text": text, "user": "U0OTHER", "ts": MESSAGE_TS},
        "response_url": response_url,
    }


def global_shortcut(callback_id: str, trigger_id: str) -> dict[str, Any]:
    """A global shortcut, run from the shortcuts menu."""
    return {
        "type": "shortcut",
        "token": _LEGACY_TOKEN,
        "action_ts": "1732560000.111",
        "team": _team(),
        "user": {"id": USER_ID, "username": "pat", "team_id": TEAM_ID},
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    }


def view_submission(
    view: dict[str, Any], values: dict[str, Any], trigger_id: str
) -> dict[str, Any]:
    """A view_submission of `view` (as the bot last sent it) with input `values`."""
    submitted = {
        **view,
        "team_id": TEAM_ID,
        "state": {"values": values},
        "app_id": APP_ID,
        "root_view_id": view.get("id"),
    }
    return {
        "type": "view_submission",
        "team": _team(),
        "user": _user(),
        "api_app_id": APP_ID,
        "token": _LEGACY_TOKEN,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
    }
