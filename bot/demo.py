"""`pivotal-bot demo`: the real bot between the sandbox Pivotal and a local Slack stand-in.

Commands live in `COMMANDS` (name -> handler); `@command(...)` adds one and its help line.
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
from bot.sandbox import edits, effects
from bot.sandbox.clicks import Pressable, pressables
from bot.sandbox.console import BotThread, CtrlC, enable_line_editing, read_line
from bot.sandbox.data import SAMPLE_CHANNELS, UNLINKED_CHANNEL, sample_customers
from bot.sandbox.deliveries import SANDBOX_WEBHOOK_SECRET
from bot.sandbox.payloads import USER_ID
from bot.sandbox.stack import API_KEY, LocalStack, local_stack
from bot.sandbox.terminal import Style, builder_link, mrkdwn, render_blocks

_URL = re.compile(r"https?://[^\s<>|]+")
_NUMBER = re.compile(r"[0-9]{1,3}(?:\s.*)?")
_SWITCH = {"on": True, "yes": True, "true": True, "1": True,
           "off": False, "no": False, "false": False, "0": False}  # fmt: skip
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
            self.show(effect.message, Shown(effect.message, effect.channel, effect.ephemeral, ts))

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
        message=where.message,
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


@command(
    "/edit",
    "/edit 42 plan=growth",
    "change a customer in Pivotal; its webhook updates the bot and the cards in channels",
)
async def edit(session: Session, rest: str) -> None:
    parsed = edits.parse_assignments(rest or "?")
    if isinstance(parsed, str):
        session.error(parsed)
        return
    stack, hooks = session.stack, session.stack.deps.hooks
    applied, gets = (hooks.applied if hooks else 0), stack.pivotal.customer_gets()
    mark = effects.mark(stack.slack)
    status = await edits.patch_over_http(stack.pivotal.base_url, API_KEY, *parsed)
    if status != 200 or stack.pivotal.webhooks is None or hooks is None:
        session.error(f"(Pivotal answered HTTP {status})")
        return
    await stack.pivotal.webhooks.drain()
    await stack.settle()
    answered = [code for _, code in stack.pivotal.webhooks.delivered[-1:]]
    session.say(session.style.dim(f"↳ Pivotal sent a signed customer.updated; the bot answered "
                                  f"{answered[0] if answered else '-'} and applied "
                                  f"{hooks.applied - applied} change(s)"))  # fmt: skip
    await _live_cards_redrawn(session, mark)
    await customer(session, parsed[0])
    session.say(session.style.dim(f"(requests to Pivotal for it: "
                                  f"{stack.pivotal.customer_gets() - gets} GET)\n"))  # fmt: skip


async def _live_cards_redrawn(session: Session, mark: effects.Mark, wait: float = 4.0) -> None:
    """Cards shared or unfurled earlier follow the edit: show the ones redrawn so far."""
    live = session.stack.deps.live
    if live is None:
        return
    done = await live.settled(wait)  # paced: about one card a second
    session.show_effects(effects.effects_since(session.stack.slack, mark, channel=session.channel))
    if not done:
        session.say(session.style.dim("↳ (more cards are queued; Slack allows about 50 "
                                      "updates a minute, so they follow in turn)"))  # fmt: skip


@command("/channel", "/channel C024BE7LT", "switch channel (/channels lists the linked ones)")
async def channel(session: Session, rest: str) -> None:
    session.channel = rest.lstrip("#") or DEFAULT_CHANNEL
    session.shared = session.channel in _shared_channels(session)
    note = " (shared with another organisation)" if session.shared else ""
    session.error(f"Now in channel {session.channel}{note}.")


def _shared_channels(session: Session) -> set[str]:
    return {c for c, info in session.stack.slack.channels.items() if info.get("is_ext_shared")}


@command("/channels", "/channels", "the channels linked to sample customers")
async def channels(session: Session, rest: str) -> None:
    names = {c["display_id"]: c["name"] for c in sample_customers()}
    for channel_id, display_id in SAMPLE_CHANNELS.items():
        session.say(f"  {channel_id:<14} #{display_id} {names.get(display_id, '')}")
    session.error(f"  {UNLINKED_CHANNEL:<14} (not linked)")


@command("/shared", "/shared on|off", "make the current channel a Slack Connect channel or not")
async def shared(session: Session, rest: str) -> None:
    on = _switch(session, "/shared", rest, session.shared)
    if on is None:
        return
    session.shared = on
    session.stack.slack.set_channel(session.channel, ext_shared=on)
    session.error(_sharing_note(session.channel, on, session.stack.deps.settings.external_unfurls))


def _sharing_note(channel: str, on: bool, mode: str) -> str:
    if not on:
        return f"{channel} is an ordinary channel again: previews and shared cards show everything."
    shows = {"off": "are not shown at all", "minimal": "show only the name and an Open button",
             "full": "still show everything"}[mode]  # fmt: skip
    return (
        f"{channel} is now shared with another organisation (Slack Connect). There, link\n"
        f"previews and cards posted with Share in channel {shows}\n"
        f"(EXTERNAL_UNFURLS={mode}). /customer answers are unchanged: only the asker sees them."
    )


@command("/json", "/json on|off", "also print raw Block Kit and a Block Kit Builder link")
async def raw_json(session: Session, rest: str) -> None:
    on = _switch(session, "/json", rest, session.raw_json)
    if on is not None:
        session.raw_json = on
        session.error(f"json is {'on' if on else 'off'}.")


def _switch(session: Session, name: str, rest: str, now: bool) -> bool | None:
    """on/off (yes/no, true/false, 1/0) -> bool; nothing -> say the state; else an error."""
    if not rest:
        session.error(f"{name[1:]} is {'on' if now else 'off'} ({name} on|off to change it).")
        return None
    on = _SWITCH.get(rest.lower())
    if on is None:
        session.error(f"{name} takes on or off (or yes/no, true/false, 1/0), not {rest!r}.")
    return on


@command("/help", "/help", "this list")
async def help_(session: Session, rest: str) -> None:
    session.say(usage())


@command("/quit", "/quit", "leave", "/exit", "quit", "exit")
async def quit_(session: Session, rest: str) -> None:
    session.done = True


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


# The interactive surfaces' commands (/refresh, /type, /home, /shortcut) register themselves.
from bot import demo_surfaces  # noqa: E402, F401
