"""The fake Slack's answer per Web API method: auth.test, chat.*, views.*, conversations.info."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Stamps", "answer", "default_channel"]


def default_channel(channel_id: str) -> dict[str, Any]:
    """``conversations.info`` for a channel nobody configured (a DM when the id starts ``D``)."""
    is_im = channel_id.startswith("D")
    return {
        "id": channel_id,
        "name": f"channel-{channel_id.lower()}",
        "is_channel": not is_im,
        "is_im": is_im,
        "is_ext_shared": False,
        "is_shared": False,
        "is_org_shared": False,
        "is_pending_ext_shared": False,
        "is_private": False,
        "is_member": True,  # the bot is in it (set_channel(member=False) says otherwise)
    }


class Stamps:
    """Message timestamps, view ids and view hashes, from one counter that only goes up."""

    def __init__(self) -> None:
        self.count = 0
        self.clock: Callable[[], float] | None = None  # set: message ts from this clock
        self._last = 0.0

    def message_ts(self) -> str:
        self.count += 1
        if self.clock is not None:  # as Slack's: epoch seconds, unique, always later
            self._last = max(round(self.clock(), 6), round(self._last + 0.000001, 6))
            return f"{self._last:.6f}"
        return f"{1_700_000_000 + self.count}.{self.count:06d}"

    def view(self, body: dict[str, Any]) -> dict[str, Any]:
        """The view as Slack echoes it: with an id (kept on update) and a fresh hash."""
        given = body.get("view")
        view: dict[str, Any] = given if isinstance(given, dict) else {}
        self.count += 1
        view_id = body.get("view_id") or f"V{self.count:08d}"
        return {**view, "id": view_id, "hash": f"{1_700_000_000 + self.count}.h{self.count}"}


def answer(
    method: str,
    body: dict[str, Any],
    *,
    identity: dict[str, str],
    channels: dict[str, dict[str, Any]],
    stamps: Stamps,
) -> dict[str, Any]:
    """Slack's answer to `method` called with `body` (just ``{"ok": true}`` if not modelled)."""
    if method == "auth.test":
        return {"ok": True, **identity}
    if method in ("chat.postMessage", "chat.update"):
        ts = body.get("ts") or stamps.message_ts()
        message = {k: body[k] for k in ("text", "blocks") if k in body}
        return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": message}
    if method in ("views.open", "views.update", "views.publish", "views.push"):
        return {"ok": True, "view": stamps.view(body)}
    if method == "chat.postEphemeral":
        return {"ok": True, "message_ts": stamps.message_ts()}
    if method == "conversations.info":
        channel_id = body.get("channel")
        if not channel_id:
            return {"ok": False, "error": "invalid_arguments"}
        info = dict(channels.get(channel_id) or default_channel(channel_id))
        error = info.pop("error", None)
        return {"ok": False, "error": error} if error else {"ok": True, "channel": info}
    return {"ok": True}  # chat.unfurl and anything else
