"""`pivotal-bot demo`: the bot on a thread of its own, typed lines read here and handled there."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.logs import configure_logging
from bot.sandbox.demo.commands import handle, usage
from bot.sandbox.demo.console import BotThread, CtrlC, enable_line_editing, read_line
from bot.sandbox.demo.session import Session, slack_names
from bot.sandbox.demo.terminal import Style
from bot.sandbox.pivotal.deliveries import SANDBOX_WEBHOOK_SECRET
from bot.sandbox.pivotal.signals import DEMO_USER_EMAIL
from bot.sandbox.slack.payloads import USER_ID
from bot.sandbox.stack import LocalStack, local_stack

GOODBYE = "Bye."
INTRO = """\
pivotal-bot demo: the real bot, a sample Pivotal workspace ({customers} customers) and a
local stand-in for Slack. Type what you would type in Slack:
"""


def run_demo(*, raw_json: bool = False, stdin: TextIO | None = None) -> int:
    """Run the demo on standard input; one command per line when not a terminal."""
    configure_logging(logging.WARNING)
    stdin, out = stdin or sys.stdin, sys.stdout
    terminal = stdin.isatty() and stdin is sys.stdin and enable_line_editing()
    secret = SANDBOX_WEBHOOK_SECRET
    scratch = tempfile.TemporaryDirectory(prefix="pivotal-bot-demo-")  # the durable tier
    database = f"sqlite:///{Path(scratch.name) / 'demo.db'}"
    bot = BotThread(
        local_stack(log_level="WARNING", pivotal_webhook_secret=secret, database_url=database)
    )
    ctrl_c = CtrlC(out, GOODBYE, terminal_fd=stdin.fileno()) if terminal else None
    try:
        stack = bot.start()
        stack.pivotal.deliver_to(f"{stack.url}/pivotal/webhooks", secret)
        # The demo's user owns some customers and is a workspace admin (so may link channels);
        # Pivotal tells health and owners by webhook.
        stack.slack.workspace.set_user(USER_ID, email=DEMO_USER_EMAIL, name="pat", admin=True)
        bot.call(stack.pivotal.announce_health())
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
    scratch.cleanup()
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
