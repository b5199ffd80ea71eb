"""One demo session: the stack it drives, what is on screen, and the buttons numbered on it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.sandbox.demo.terminal import Style, builder_link, mrkdwn, render_blocks
from bot.sandbox.pivotal.data import sample_customers
from bot.sandbox.slack import effects
from bot.sandbox.slack.clicks import Pressable, pressables
from bot.sandbox.slack.payloads import USER_ID
from bot.sandbox.stack import LocalStack

DEFAULT_CHANNEL = "C0GENERAL"


@dataclass(frozen=True)
class Shown:
    """A message on screen, as Slack knows it when someone presses a button on it."""

    message: dict[str, Any]
    channel: str
    ephemeral: bool
    ts: str
    unfurl: str | None = None  # the link, when this is the bot's preview of it


@dataclass
class Session:
    stack: LocalStack
    out: TextIO
    style: Style
    raw_json: bool
    channel: str = DEFAULT_CHANNEL
    shared: bool = False
    done: bool = False
    buttons: list[tuple[Pressable, Shown]] = field(default_factory=list)
    fresh: bool = True  # the next message shown starts a new set of numbered buttons
    _ts: int = 0

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def error(self, text: str) -> None:
        self.say(f"{text}\n")

    def next_ts(self) -> str:
        self._ts += 1
        return f"1732560100.{self._ts:06d}"

    def show(self, message: dict[str, Any], where: Shown | None = None) -> None:
        """Print `message`, numbering its buttons after those already shown for this line."""
        if self.fresh:
            self.buttons, self.fresh = [], False
        where = where or Shown(message, self.channel, True, self.next_ts())
        blocks = message.get("blocks") or []
        first = len(self.buttons) + 1
        self.buttons += [(p, where) for p in pressables(blocks)]
        self.say(render_blocks(blocks, self.style, first=first) if blocks else message["text"])
        if self.raw_json:
            self.say(json.dumps(blocks, indent=2, ensure_ascii=False))
            self.say(f"Block Kit Builder: {builder_link(blocks)}")
        self.say()

    def show_effects(self, found: list[effects.Effect]) -> None:
        for effect in found:
            self.say(self.style.dim(f"↳ {mrkdwn(effect.note, self.style)}"))
            if effect.message is None:
                self.say()
                continue
            ts = effect.ts or self.next_ts()
            shown = Shown(effect.message, effect.channel, effect.ephemeral, ts, effect.url)
            self.show(effect.message, shown)

    async def exchange(self, mark: effects.Mark, *, channel: str | None = None) -> bool:
        """After a request: wait until the bot is done, show what reached Slack; any?"""
        await self.stack.settle()
        found = effects.effects_since(self.stack.slack, mark, channel=channel or self.channel)
        self.show_effects(found)
        return bool(found)


def slack_names() -> dict[str, str]:
    """The names Slack would show for the demo's channel and user ids."""
    names = {DEFAULT_CHANNEL: "general", USER_ID: "pat"}
    for c in sample_customers():
        if c["slack_channel_id"]:
            names[c["slack_channel_id"]] = c["slug"] or f"customer-{c['display_id']}"
    return names
