"""`pivotal-bot demo` on a terminal (a pseudo-terminal): line editing, buttons, Ctrl-C, Ctrl-D."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "C0GENERAL> "
LEFT = "\x1b[D"
UP = "\x1b[A"


@pytest.fixture
def demo() -> Iterator[pexpect.spawn]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIVOTAL_"))}
    env["TERM"] = "xterm"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "demo"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(50, 140),
    )
    child.expect_exact(PROMPT)  # the stack is up and the first walk done
    try:
        yield child
    finally:
        if child.isalive():
            child.terminate(force=True)


def finished(child: pexpect.spawn, timeout: float = 5.0) -> int | None:
    """Wait for the process to end and return its exit status."""
    child.expect(pexpect.EOF, timeout=timeout)
    child.close()
    assert child.signalstatus is None, f"killed by signal {child.signalstatus}"
    return child.exitstatus


def test_ctrl_c_at_the_prompt_ends_the_demo_with_exit_0(demo: pexpect.spawn) -> None:
    demo.sendintr()
    assert finished(demo) == 0
    assert "Bye." in (demo.before or "")


def test_ctrl_c_works_after_a_command_too(demo: pexpect.spawn) -> None:
    demo.sendline("/customer 42")
    demo.expect_exact("Acme Co.")
    demo.expect_exact(PROMPT)
    demo.send("/customer 7")  # half-typed: Ctrl-C does not wait for Enter
    demo.sendintr()
    assert finished(demo) == 0


def test_ctrl_d_finishes_the_prompt_line_and_exits_0(demo: pexpect.spawn) -> None:
    demo.sendeof()
    demo.expect_exact("\r\nBye.")
    assert finished(demo) == 0


def test_arrow_keys_edit_the_line_and_recall_history(demo: pexpect.spawn) -> None:
    demo.send(f"/customer 2{LEFT}4\r")  # the 4 goes before the 2: /customer 42
    demo.expect("Acme Co\\.|No customer matches")
    assert demo.after == "Acme Co."
    demo.expect_exact(PROMPT)
    demo.sendline("/customer 7")
    demo.expect_exact("Globex Corporation")
    demo.expect_exact(PROMPT)
    demo.send(f"{UP}{UP}\r")  # two lines back: /customer 42 again
    demo.expect("Acme Co\\.|Globex Corporation|No customer matches")
    assert demo.after == "Acme Co."
    demo.expect_exact(PROMPT)
    demo.sendline("/quit")
    assert finished(demo) == 0


def test_pressing_share_by_its_number_posts_the_card_in_channel(demo: pexpect.spawn) -> None:
    demo.sendline("/customer 42")
    demo.expect(r"\((\d+)\) \[Share in channel\]")
    number = demo.match.group(1)
    demo.expect_exact(PROMPT)
    demo.sendline(number)
    # What the demo prints here is what reached its fake Slack at the click's response_url.
    demo.expect_exact("posted in #general for everyone")
    demo.expect_exact("Shared by @pat")
    demo.expect_exact("the message with the button is removed")
    demo.expect_exact(PROMPT)
    demo.sendintr()
    assert finished(demo) == 0
