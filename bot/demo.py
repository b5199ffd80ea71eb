"""`pivotal-bot demo`: the real bot between the sandbox Pivotal and a local Slack stand-in.

Commands live in `COMMANDS` (name -> handler); `@command(...)` adds one and its help line.
/customer and button presses are here; demo_edits, demo_settings and demo_surfaces add the rest.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.logs import configure_logging
from bot.sandbox.console import BotThread, CtrlC, enable_line_editing, read_line
from bot.sandbox.pivotal.data import sample_customers
from bot.sandbox.pivotal.deliveries import SANDBOX_WEBHOOK_SECRET
from bot.sandbox.slack import effects
from bot.sandbox.slack.clicks import Pressable, pressables
from bot.sandbox.slack.payloads import USER_ID
from bot.sandbox.stack import LocalStack, local_stack
from bot.sandbox.terminal import Style, builder_link, mrkdwn, render_blocks

_URL = re.compile(r"https?://[^\s<>|]+")
_NUMBER = re.compile(r"[0-9]{1,3}(?:\s.*)?")
DEFAULT_CHANNEL = "C0GENERAL"
GOODBYE = "Bye."
INTRO = """\
pivotal-bot demo: the real bot, a sample Pivotal workspace ({customers} customers) and a
local stand-in for Slack. Type what you would type in Slack:
"""
OUTRO = """\
  https://my.pivotal.app/customers/42-acme-co    a pasted link, unfurled
  1, 2, …                 press the button with that number (also /click 2)
  Ctrl-C or Ctrl-D        leave
"""

Handler = Callable[["Session", str], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    run: Handler
    usage: str
    help: str


COMMANDS: dict[str, Command] = {}


def command(name: str, usage: str, help: str, *aliases: str) -> Callable[[Handler], Handler]:
    """Register `handler` for `name` (and `aliases`), with the help line the welcome shows."""

    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(handler, usage, help)
        for alias in aliases:
            COMMANDS[alias] = Command(handler, "", "")
        return handler

    return register


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


async def handle(session: Session, line: str) -> None:
    """Act on one typed line."""
    line = line.strip()
    session.fresh = True
    word, _, rest = line.partition(" ")
    if not line:
        return
    if word in COMMANDS:
        await COMMANDS[word].run(session, rest.strip())
    elif _NUMBER.fullmatch(line):
        await press(session, line)
    elif _URL.search(line):
        await unfurl(session, _URL.findall(line))
    else:
        session.error("Type /customer …, paste a link, or /quit. (/help lists the commands)")


@command("/customer", "/customer 42", "a card by number (also #42, a name like acme, or a link)")
async def customer(session: Session, rest: str) -> None:
    stack, mark = session.stack, effects.mark(session.stack.slack)
    ack, _ = await stack.driver.command(rest, channel_id=session.channel)
    if ack.status_code != 200:
        session.error(f"(the bot answered HTTP {ack.status_code})")
    elif ack.content:
        session.say(session.style.dim("↳ only you see this"))
        session.show(dict(ack.json()))
    elif not await session.exchange(mark):
        session.error("(no answer reached Slack)")


@command("/click", "/click 2", "press button 2 of the last message (a list: /click 2 1)")
async def click(session: Session, rest: str) -> None:
    await press(session, rest)


async def press(session: Session, rest: str) -> None:
    number, _, choice = rest.partition(" ")
    count = len(session.buttons)
    if not number.isdigit() or not 1 <= int(number) <= count:
        hint = f"the last message has 1 to {count}" if count else "no message has one yet"
        session.error(f"There is no button {number or '?'} to press: {hint}.")
        return
    button, where = session.buttons[int(number) - 1]
    try:
        action = button.action(choice)
    except ValueError as exc:
        session.error(str(exc))
        return
    session.say(session.style.dim(f"(pressed [{button.label}])"))
    mark = effects.mark(session.stack.slack)
    ack, _ = await session.stack.driver.press(
        action, channel_id=where.channel, message_ts=where.ts, ephemeral=where.ephemeral,
        message=where.message, unfurl=where.unfurl,
    )  # fmt: skip
    if ack.status_code != 200:
        session.error(f"(the bot refused the click: HTTP {ack.status_code})")
    elif not await session.exchange(mark, channel=where.channel):
        session.error("(the bot acknowledged the click; nothing changed in Slack)")


async def unfurl(session: Session, urls: list[str]) -> None:
    mark = effects.mark(session.stack.slack)
    await session.stack.driver.link_shared(urls, channel=session.channel, ext_shared=session.shared)
    if not await session.exchange(mark):
        session.error("(no preview: Slack would show the plain link)")


def slack_names() -> dict[str, str]:
    """The names Slack would show for the demo's channel and user ids."""
    names = {DEFAULT_CHANNEL: "general", USER_ID: "pat"}
    for c in sample_customers():
        if c["slack_channel_id"]:
            names[c["slack_channel_id"]] = c["slug"] or f"customer-{c['display_id']}"
    return names


def usage() -> str:
    rows = [f"  {c.usage:<23} {c.help}" for c in COMMANDS.values() if c.usage]
    return "\n".join(rows) + "\n" + OUTRO


def run_demo(*, raw_json: bool = False, stdin: TextIO | None = None) -> int:
    """Run the demo on standard input; one command per line when not a terminal."""
    configure_logging(logging.WARNING)
    stdin, out = stdin or sys.stdin, sys.stdout
    terminal = stdin.isatty() and stdin is sys.stdin and enable_line_editing()
    secret = SANDBOX_WEBHOOK_SECRET
    bot = BotThread(local_stack(log_level="WARNING", pivotal_webhook_secret=secret))
    ctrl_c = CtrlC(out, GOODBYE, terminal_fd=stdin.fileno()) if terminal else None
    try:
        stack = bot.start()
        stack.pivotal.deliver_to(f"{stack.url}/pivotal/webhooks", secret)
        session = Session(stack, out, Style(out.isatty(), slack_names()), raw_json)
        if ctrl_c is not None:
            ctrl_c.install(bot.loop)
            session.say(INTRO.format(customers=len(session.stack.deps.directory)))
            session.say(usage())
        _read_and_run(bot, session, stdin, terminal)
        if terminal:
            print(GOODBYE, file=out, flush=True)
    except KeyboardInterrupt:
        if ctrl_c is None or ctrl_c.claim():
            print(f"\n{GOODBYE}", file=out, flush=True)
    finally:
        if ctrl_c is not None:
            ctrl_c.uninstall()
    bot.stop(timeout=2.0)
    return 0


def _read_and_run(
    bot: BotThread[LocalStack], session: Session, stdin: TextIO, terminal: bool
) -> None:
    while not session.done:
        line = read_line(stdin, f"{session.channel}> ", terminal=terminal)
        if line is None:
            if terminal:
                session.say()  # Ctrl-D leaves the cursor on the prompt line
            return
        if not terminal and line.strip():
            session.say(f"> {line.strip()}")
        bot.call(handle(session, line))


# The other commands register themselves, in the order the help lists them: /edit, then the
# session's (/channel ... /quit), then the interactive surfaces' (/refresh, /type, /home, ...).
from bot import demo_edits, demo_settings, demo_surfaces  # noqa: E402, F401
