"""What the bot made appear in Slack since a point in time, read off the fake Slack (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack.server import FakeSlack, ResponsePost, SlackCall

# Web API methods that put something on a person's screen; the rest (auth.test,
# conversations.info, ...) are the bot asking, not showing.
_SHOWING = ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.unfurl")


@dataclass(frozen=True)
class Mark:
    """How much the fake Slack had recorded at one moment."""

    calls: int
    responses: int


@dataclass(frozen=True)
class Effect:
    """One change on screen: a message shown (to whom, where), or one taken away."""

    note: str
    channel: str
    ephemeral: bool
    message: dict[str, Any] | None = None
    ts: str | None = None
    url: str | None = None  # the link, when this is the bot's preview of it


def mark(slack: FakeSlack) -> Mark:
    return Mark(len(slack.calls), len(slack.responses))


def effects_since(slack: FakeSlack, since: Mark, *, channel: str) -> list[Effect]:
    """Everything shown since `since`, oldest first; `channel` is where response_urls point."""
    items: list[SlackCall | ResponsePost] = [
        *slack.calls[since.calls :],
        *slack.responses[since.responses :],
    ]
    effects: list[Effect] = []
    for item in sorted(items, key=lambda i: i.at):
        if isinstance(item, ResponsePost):
            effects.append(_response(item.body, channel))
        elif item.method in _SHOWING and item.authorized:
            effects.extend(_call(item.method, item.body, channel))
    return effects


def _message(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("text", "blocks") if key in body}


def _response(body: dict[str, Any], channel: str) -> Effect:
    if body.get("delete_original"):
        return Effect("the message with the button is removed", channel, ephemeral=True)
    public = body.get("response_type") == "in_channel"
    if body.get("replace_original") and not public:
        note = "replaces the message with the button (only you see it)"
    elif public:
        note = f"posted in <#{channel}> for everyone"
    else:
        note = "only you see this"
    return Effect(note, channel, ephemeral=not public, message=_message(body))


def _call(method: str, body: dict[str, Any], channel: str) -> list[Effect]:
    where = str(body.get("channel") or channel)
    ts = str(body["ts"]) if body.get("ts") else None
    if method == "chat.postMessage":
        return [Effect(f"posted in <#{where}> for everyone", where, False, _message(body), ts)]
    if method == "chat.postEphemeral":
        return [Effect("only you see this", where, True, _message(body), ts)]
    if method == "chat.update":
        return [Effect(f"updates the message in <#{where}>", where, False, _message(body), ts)]
    unfurls = body.get("unfurls")
    if not isinstance(unfurls, dict):
        return []
    return [
        Effect(f"preview of {url}", where, False, unfurl, ts, url)
        for url, unfurl in unfurls.items()
        if isinstance(unfurl, dict)
    ]
