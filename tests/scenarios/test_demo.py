"""`pivotal-bot demo` without a terminal: one command per line, exit 0 at end of input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.sandbox.demo.terminal import Style, builder_link, mrkdwn, render_blocks

ROOT = Path(__file__).resolve().parents[2]


def run_demo(lines: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIVOTAL_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", *args],
        input=lines,
        capture_output=True,
        text=True,
        timeout=90,
        cwd=ROOT,
        env=env,
    )


def test_the_readme_session_prints_two_cards_and_the_help() -> None:
    result = run_demo(
        "/customer 42\n/customer help\nhttps://my.pivotal.app/customers/7\n"
        "/channel C024BE7LT\n/customer\n/shared on\nhttps://my.pivotal.app/customers/42\n"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "> /customer 42" in out
    assert out.count("Acme Co.") >= 3  # the card, the linked channel, the shared unfurl
    assert "$1,250" in out
    assert "How to look up a customer" in out
    assert "↳ preview of https://my.pivotal.app/customers/7" in out
    assert "Globex Corporation" in out
    shared_unfurl = out.rsplit("↳ preview of https://my.pivotal.app/customers/42", 1)[1]
    assert "$1,250" not in shared_unfurl  # a Slack Connect channel gets the minimal card
    assert "Traceback" not in result.stderr


def test_json_mode_prints_block_kit_and_a_builder_link() -> None:
    result = run_demo("/customer 42\n", "--json")
    assert result.returncode == 0, result.stderr
    assert '"type": "header"' in result.stdout
    assert "https://app.slack.com/block-kit-builder#" in result.stdout


def test_terminal_rendering_of_mrkdwn() -> None:
    plain = Style(enabled=False)
    text = (
        "*MRR* <!date^1700000000^{date_short}|Nov 14, 2023> <#C024BE7LT> "
        "<https://x.example|X> &amp;"
    )
    assert mrkdwn(text, plain) == "MRR Nov 14, 2023 #C024BE7LT X (https://x.example) &"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Acme"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Plan*\nenterprise"}]},
        {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": "https://a"}
        ]},
    ]  # fmt: skip
    rendered = render_blocks(blocks, plain)
    assert "Plan:" in rendered and "enterprise" in rendered
    assert "[Open] https://a" in rendered
    assert builder_link(blocks).startswith("https://app.slack.com/block-kit-builder#%7B")


def test_the_readme_card_is_what_the_demo_prints() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    card = readme.split("```\n/customer 42\n", 1)[1].split("```", 1)[0]
    result = run_demo("/customer 42\n")
    assert result.returncode == 0, result.stderr
    assert card.strip("\n") in result.stdout
