"""The demo's command table (name -> handler, usage and help line) and what a typed line does.

Handlers live in modules of their own (lookups, edits, settings, surfaces) and know nothing
of this table; the order here is the order /help lists them in.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.sandbox.demo import edits, lookups, related_edits, settings, surfaces
from bot.sandbox.demo.session import Session

_URL = re.compile(r"https?://[^\s<>|]+")
_NUMBER = re.compile(r"[0-9]{1,3}(?:\s.*)?")
OUTRO = """\
  https://my.pivotal.app/customers/42-acme-co    a pasted link, unfurled
  1, 2, …                 press the button with that number (also /click 2)
  Ctrl-C or Ctrl-D        leave
"""

Handler = Callable[[Session, str], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    run: Handler
    usage: str  # "" for an alias: /help leaves it out
    help: str


async def help_(session: Session, rest: str) -> None:
    session.say(usage())


_QUIT = Command(settings.quit_, "", "")
COMMANDS: dict[str, Command] = {
    "/customer": Command(lookups.customer, "/customer 42",
                         "a card by number (also #42, a name like acme, or a link)"),
    "/click": Command(lookups.click, "/click 2",
                      "press button 2 of the last message (a list: /click 2 1)"),
    "/edit": Command(edits.edit, "/edit 42 plan=growth", "change a customer in Pivotal; "
                     "its webhook updates the bot and the cards in channels"),
    "/edit-contact": Command(related_edits.edit_contact, "/edit-contact 42 name=Zoe_Walsh",
                             "add a contact in Pivotal (it sends contact.created)"),
    "/edit-onboarding": Command(related_edits.edit_onboarding, "/edit-onboarding 10 phase=launch",
                                "change an onboarding in Pivotal (it sends onboarding.*)"),
    "/channel": Command(settings.channel, "/channel C024BE7LT",
                        "switch channel (/channels lists the linked ones)"),
    "/channels": Command(settings.channels, "/channels",
                         "the channels linked to sample customers"),
    "/shared": Command(settings.shared, "/shared on|off",
                       "make the current channel a Slack Connect channel or not"),
    "/json": Command(settings.raw_json, "/json on|off",
                     "also print raw Block Kit and a Block Kit Builder link"),
    "/help": Command(help_, "/help", "this list"),
    "/quit": Command(settings.quit_, "/quit", "leave"),
    "/exit": _QUIT, "quit": _QUIT, "exit": _QUIT,
    "/refresh": Command(surfaces.refresh, "/refresh", "press Refresh on the last card shown"),
    "/type": Command(surfaces.type_, "/type acm",
                     "type into a search picker: the options Slack would list"),
    "/home": Command(surfaces.home, "/home", "open the app's Home tab (yours alone)"),
    "/digest": Command(surfaces.digest, "/digest",
                       "send today's daily digests now, as if their hour had come"),
    "/shortcut": Command(surfaces.shortcut, "/shortcut <text>",
                         "run the Look up customer shortcut on a message"),
}  # fmt: skip


def usage() -> str:
    rows = [f"  {c.usage:<23} {c.help}" for c in COMMANDS.values() if c.usage]
    return "\n".join(rows) + "\n" + OUTRO


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
        await lookups.press(session, line)
    elif _URL.search(line):
        await lookups.unfurl(session, _URL.findall(line))
    else:
        session.error("Type /customer …, paste a link, or /quit. (/help lists the commands)")
