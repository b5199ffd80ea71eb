"""`pivotal-bot demo`: the real bot between the sandbox Pivotal and a local Slack stand-in."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from bot.logs import configure_logging
from bot.sandbox.data import SAMPLE_CHANNELS, UNLINKED_CHANNEL, sample_customers
from bot.sandbox.stack import LocalStack, local_stack
from bot.sandbox.terminal import Style, builder_link, render_blocks

_URL = re.compile(r"https?://[^\s<>|]+")
DEFAULT_CHANNEL = "C0GENERAL"
WELCOME = """\
pivotal-bot demo: the real bot, a sample Pivotal workspace ({customers} customers) and a
local stand-in for Slack. Type what you would type in Slack:

  /customer 42            a card by number (also #42, a name like acme, or a link)
  /customer               the customer linked to the current channel
  /customer help          usage
  https://my.pivotal.app/customers/42-acme-co    a pasted link, unfurled
  /channel C024BE7LT      switch channel (/channels lists the linked ones)
  /shared on|off          make the current channel a Slack Connect channel or not
  /json on|off            also print raw Block Kit and a Block Kit Builder link
  /quit                   leave (or Ctrl-D)
"""


@dataclass
class Session:
    stack: LocalStack
    out: TextIO
    style: Style
    raw_json: bool
    channel: str = DEFAULT_CHANNEL
    shared: bool = False

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def show(self, message: dict[str, Any]) -> None:
        blocks = message.get("blocks") or []
        self.say(render_blocks(blocks, self.style) if blocks else message.get("text", ""))
        if self.raw_json:
            self.say(json.dumps(blocks, indent=2, ensure_ascii=False))
            self.say(f"Block Kit Builder: {builder_link(blocks)}")
        self.say()


async def handle(session: Session, line: str) -> bool:
    """Act on one typed line; False means quit."""
    line = line.strip()
    word, _, rest = line.partition(" ")
    if not line:
        return True
    if word in ("/quit", "/exit", "quit", "exit"):
        return False
    if word == "/customer":
        driver = session.stack.driver
        session.show(await driver.lookup(rest, channel_id=session.channel))
    elif word == "/channel":
        session.channel = rest.strip().lstrip("#") or DEFAULT_CHANNEL
        session.say(f"Now in channel {session.channel}.\n")
    elif word == "/channels":
        names = {c["display_id"]: c["name"] for c in sample_customers()}
        for channel, display_id in SAMPLE_CHANNELS.items():
            session.say(f"  {channel:<14} #{display_id} {names.get(display_id, '')}")
        session.say(f"  {UNLINKED_CHANNEL:<14} (not linked)\n")
    elif word in ("/shared", "/json"):
        on = rest.strip().lower() in ("on", "yes", "true", "1")
        if word == "/shared":
            session.shared = on
            session.stack.slack.set_channel(session.channel, ext_shared=on)
        else:
            session.raw_json = on
        session.say(f"{word[1:]} is {'on' if on else 'off'}.\n")
    elif _URL.search(line):
        await unfurl(session, _URL.findall(line))
    else:
        session.say("Type /customer …, paste a link, or /quit. (/customer help for more)\n")
    return True


async def unfurl(session: Session, urls: list[str]) -> None:
    stack = session.stack
    before = len(stack.slack.calls_to("chat.unfurl"))
    await stack.driver.link_shared(urls, channel=session.channel, ext_shared=session.shared)
    try:
        calls = await stack.slack.wait_for("chat.unfurl", count=before + 1, timeout=3.0)
    except TimeoutError:
        session.say("(no preview: Slack would show the plain link)\n")
        return
    for url, unfurl in calls[-1].body["unfurls"].items():
        session.say(session.style.dim(f"↳ preview of {url}"))
        session.show(unfurl)


async def _run(raw_json: bool, stdin: TextIO, out: TextIO) -> int:
    interactive = stdin.isatty()
    async with local_stack(log_level="WARNING") as stack:
        session = Session(stack, out, Style(out.isatty()), raw_json)
        if interactive:
            session.say(WELCOME.format(customers=len(stack.deps.directory)))
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print(f"{session.channel}> ", end="", file=out, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            if not interactive and line.strip():
                session.say(f"> {line.strip()}")
            if not await handle(session, line):
                break
    return 0


def run_demo(*, raw_json: bool = False) -> int:
    """Run the demo on standard input; one command per line when not a terminal."""
    configure_logging(logging.WARNING)
    try:
        return asyncio.run(_run(raw_json, sys.stdin, sys.stdout))
    except KeyboardInterrupt:
        return 0
