"""How the fake Slack reads a Web API call: its body whatever the encoding, and its token.

Bodies come back as dicts: JSON (slack_sdk sends ``chat.unfurl``, ``chat.postMessage``,
``chat.postEphemeral``, ``chat.update`` as JSON), form-encoded, or query params
(``conversations.info`` is a GET with params; ``auth.test`` a POST with query params);
query params are merged in. Form fields holding JSON (``blocks``, ``unfurls``, ...) are decoded.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import web

__all__ = ["read_body", "token_ok"]

_JSON_FIELDS = ("blocks", "attachments", "unfurls", "metadata", "user_auth_blocks", "view")


async def read_body(request: web.Request) -> dict[str, Any]:
    """The call's arguments as one dict (see the module docstring)."""
    body: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return body
    if request.content_type == "application/json":
        with contextlib.suppress(ValueError):
            data = await request.json()
            if isinstance(data, dict):
                body.update(data)
        return body
    form = await request.post()
    for key, value in form.items():  # file uploads are recorded by filename
        body[key] = value if isinstance(value, str) else str(getattr(value, "filename", ""))
    for key in _JSON_FIELDS:
        if isinstance(body.get(key), str) and body[key][:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                body[key] = json.loads(body[key])
    return body


def token_ok(header: str, method: str, tokens: set[str] | None) -> bool:
    """Whether the Authorization `header` may call `method` (only `tokens`, when given)."""
    scheme, _, token = header.partition(" ")
    # Socket Mode opens its connection with the app-level token; everything else is bot.
    prefix = "xapp-" if method == "apps.connections.open" else "xoxb-"
    if scheme.lower() != "bearer" or not token.startswith(prefix) or len(token) <= 5:
        return False
    return tokens is None or token in tokens
