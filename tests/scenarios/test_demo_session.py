"""The demo's commands against the real local stack: buttons go through the signed path."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator

import pytest

from bot.sandbox.demo.commands import COMMANDS, Command, handle, usage
from bot.sandbox.demo.session import Session, slack_names
from bot.sandbox.demo.terminal import Style
from bot.sandbox.stack import local_stack


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with local_stack(log_level="WARNING") as stack:
        yield Session(stack, io.StringIO(), Style(False, slack_names()), raw_json=False)


def share_number(printed: str) -> str:
    found = re.search(r"\((\d+)\) \[Share in channel\]", printed)
    assert found, printed
    return found.group(1)


async def run(session: Session, line: str) -> str:
    out = session.out
    assert isinstance(out, io.StringIO)
    start = len(out.getvalue())
    await handle(session, line)
    return out.getvalue()[start:]


async def test_share_pressed_by_number_reaches_slack_as_a_signed_click(session: Session) -> None:
    card = await run(session, "/customer 42")
    number = share_number(card)
    slack = session.stack.slack
    before = len(slack.responses)
    printed = await run(session, number)
    posts = [r.body for r in slack.responses[before:]]
    # The bot verified the click's signature, decoded the button and answered at its
    # response_url: the card for everyone, then the ephemeral copy removed.
    assert [p.get("response_type") for p in posts] == ["in_channel", None]
    assert posts[0]["blocks"][0]["text"]["text"] == "Acme Co."
    assert "Shared by <@U0PERSON>" in json.dumps(posts[0]["blocks"])
    assert posts[1]["delete_original"] is True
    assert "posted in #general for everyone" in printed
    assert "Shared by @pat" in printed
    assert "the message with the button is removed" in printed


async def test_show_on_a_pick_list_replaces_it_with_the_card(session: Session) -> None:
    picks = await run(session, "/customer globex")
    assert "(2) [Show]" in picks
    printed = await run(session, "/click 1")
    assert "replaces the message with the button (only you see it)" in printed
    assert "Globex" in printed
    assert share_number(printed) == "1"  # the new card's buttons are numbered afresh


async def test_a_number_with_no_button_says_what_there_is(session: Session) -> None:
    assert "no message has one yet" in await run(session, "3")
    card = await run(session, "/customer 42")
    share = share_number(card)
    buttons = len(re.findall(r"\(\d+\) \[", card))
    assert f"the last message has 1 to {buttons}" in await run(session, "/click 9")
    assert "Share in channel" not in await run(session, "/channels")
    assert "posted in" in await run(session, share)  # numbers outlive lines that show nothing


async def test_shared_takes_on_or_off_and_says_what_it_changes(session: Session) -> None:
    wrong = await run(session, "/shared maybe")
    assert "/shared takes on or off" in wrong and "'maybe'" in wrong
    assert not session.shared
    on = await run(session, "/shared on")
    assert session.shared
    assert "show only the name and an Open button" in on
    assert "/customer answers are unchanged: only the asker sees them" in on
    assert "shared is on" in await run(session, "/shared")
    assert "json is off" in await run(session, "/json")
    assert "/json takes on or off" in await run(session, "/json sometimes")


async def test_links_that_do_not_unfurl_are_said_so(session: Session) -> None:
    for link in ("https://example.com/x", "https://my.pivotal.app/customers/999999"):
        assert "(no preview: Slack would show the plain link)" in await run(session, link)
    assert not session.stack.slack.calls_to("chat.unfurl")
    printed = await run(session, "https://my.pivotal.app/customers/42")
    assert "↳ preview of https://my.pivotal.app/customers/42" in printed


async def test_a_registered_command_is_dispatched_and_listed(session: Session) -> None:
    seen: list[str] = []

    async def echo(session: Session, rest: str) -> None:
        seen.append(rest)

    COMMANDS["/echo-test"] = Command(echo, "/echo-test WORDS", "repeat WORDS")
    try:
        assert "/echo-test WORDS" in usage() and "repeat WORDS" in usage()
        await run(session, "/echo-test hi")
        assert seen == ["hi"]
    finally:
        del COMMANDS["/echo-test"]
