"""The fake Slack's messages per channel: what chat.postMessage posted, chat.update changed,
and what conversations.history and conversations.replies read back.

Like Slack: history is newest first and holds top-level messages (and replies broadcast to
the channel); replies are the parent then its replies, oldest first; `oldest`/`latest`
bound by ts (exclusive unless `inclusive`); `limit` and `cursor` page; a message's
`metadata` is returned only with `include_all_metadata`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Messages"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 999


@dataclass
class Messages:
    """Every message kept, per channel, in the order posted."""

    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def posted(self, body: dict[str, Any], ts: str, *, user: str, bot_id: str) -> None:
        """Keep what chat.postMessage was asked to post, as message `ts`."""
        channel = str(body.get("channel") or "")
        message: dict[str, Any] = {"type": "message", "ts": ts, "user": user, "bot_id": bot_id,
                                   "text": body.get("text") or ""}  # fmt: skip
        blocks = _json(body.get("blocks"))
        if blocks is not None:
            message["blocks"] = blocks
        metadata = _json(body.get("metadata"))
        if isinstance(metadata, dict):
            message["metadata"] = metadata
        thread_ts = body.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
            if _true(body.get("reply_broadcast")):
                message["subtype"] = "thread_broadcast"
            parent = self.find(channel, str(thread_ts))
            if parent is not None:
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = int(parent.get("reply_count") or 0) + 1
        self.channels.setdefault(channel, []).append(message)

    def updated(self, body: dict[str, Any]) -> None:
        """chat.update: the kept message takes the new text and blocks (if it is kept)."""
        message = self.find(str(body.get("channel") or ""), str(body.get("ts") or ""))
        if message is None:
            return
        if "text" in body:
            message["text"] = body.get("text") or ""
        blocks = _json(body.get("blocks"))
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"ts": message["ts"]}

    def find(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.channels.get(channel, []) if m["ts"] == ts), None)

    def in_channel(self, channel: str) -> list[dict[str, Any]]:
        """What was posted to `channel`, oldest first (replies too)."""
        return list(self.channels.get(channel, []))

    def history(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "invalid_arguments"}
        kept = self.channels.get(channel, [])
        top = [m for m in kept if _top_level(m)]
        return _page(list(reversed(top)), body)

    def replies(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(body.get("channel") or ""), str(body.get("ts") or "")
        if not channel or not ts:
            return {"ok": False, "error": "invalid_arguments"}
        parent = self.find(channel, ts)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        thread = [parent] + [
            m
            for m in self.channels.get(channel, [])
            if m.get("thread_ts") == ts and m is not parent
        ]
        return _page(thread, body)


def _top_level(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return (
        not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"
    )


def _page(messages: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    inclusive = _true(body.get("inclusive"))
    oldest, latest = _number(body.get("oldest")), _number(body.get("latest"))

    def within(message: dict[str, Any]) -> bool:
        ts = float(message["ts"])
        if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
            return False
        return latest is None or ts < latest or (ts == latest and inclusive)

    chosen = [m for m in messages if within(m)]
    limit = int(_number(body.get("limit")) or DEFAULT_LIMIT)
    limit = max(1, min(limit, MAX_LIMIT))
    cursor = str(body.get("cursor") or "")
    start = int(cursor.removeprefix("next:")) if cursor.removeprefix("next:").isdigit() else 0
    page = chosen[start : start + limit]
    with_metadata = _true(body.get("include_all_metadata"))
    shown = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
    more = start + limit < len(chosen)
    return {
        "ok": True,
        "messages": [dict(m) for m in shown],
        "has_more": more,
        "response_metadata": {"next_cursor": f"next:{start + limit}" if more else ""},
    }


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _true(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")
