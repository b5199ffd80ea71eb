"""Pressable elements of a message, their numbering, and the actions Slack would send."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.sandbox.demo.terminal import Style, render_blocks
from bot.sandbox.slack.clicks import is_pressable, pressables


def button(action_id: str, value: str | None = None, url: str | None = None) -> dict[str, Any]:
    text = {"type": "plain_text", "text": action_id.title()}
    element: dict[str, Any] = {"type": "button", "action_id": action_id, "text": text}
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    return element


SELECT = {
    "type": "static_select",
    "action_id": "pick_plan",
    "placeholder": {"type": "plain_text", "text": "Plan"},
    "option_groups": [
        {"label": {"type": "plain_text", "text": "Paid"},
         "options": [{"text": {"type": "plain_text", "text": "Growth"}, "value": "growth"},
                     {"text": {"type": "plain_text", "text": "Enterprise"}, "value": "ent"}]},
    ],
}  # fmt: skip
BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "Hi"},
     "accessory": button("show", "customer:42")},
    {"type": "actions", "block_id": "links", "elements": [
        button("open", url="https://example.com"), button("refresh", "customer:42"), SELECT]},
]  # fmt: skip


@pytest.mark.parametrize(
    ("element", "pressable"),
    [
        (button("share", "customer:1"), True),
        (button("open", url="https://x.example"), False),  # opens a browser
        (button("open", "v", url="https://x.example"), False),
        (button("bare"), False),  # no value: nothing to send
        ({"type": "button", "value": "v"}, False),  # no action_id
        (SELECT, True),
        ({"type": "external_select", "action_id": "find"}, True),
        ({"type": "overflow", "action_id": "more", "options": []}, True),
        ({"type": "image", "image_url": "https://x.example/a.png"}, False),
    ],
)
def test_what_is_pressable(element: dict[str, Any], pressable: bool) -> None:
    assert is_pressable(element) is pressable


def test_numbers_in_the_rendering_follow_the_pressables_order() -> None:
    found = pressables(BLOCKS)
    assert [(p.element["action_id"], p.block_id) for p in found] == [
        ("show", "intro"), ("refresh", "links"), ("pick_plan", "links")]  # fmt: skip
    text = render_blocks(BLOCKS, Style(False), first=4)
    assert re.findall(r"\((\d+)\) \[([^\]]+)\]", text) == [
        ("4", "Show"), ("5", "Refresh"), ("6", "Plan ▾")]  # fmt: skip
    assert "[Open] https://example.com" in text
    assert "(4)" not in render_blocks(BLOCKS, Style(False))  # no numbers unless asked


def test_a_button_sends_its_value_and_block() -> None:
    action = pressables(BLOCKS)[1].action()
    assert action["type"] == "button"
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "refresh", "links", "customer:42")  # fmt: skip


@pytest.mark.parametrize("choice", ["2", "ent", "Enterprise", "enterprise"])
def test_a_select_sends_the_chosen_option(choice: str) -> None:
    action = pressables(BLOCKS)[2].action(choice)
    assert action["type"] == "static_select"
    assert action["selected_option"]["value"] == "ent"


@pytest.mark.parametrize(
    ("choice", "message"),
    [("", "Plan is a list: add your choice"), ("9", "Plan offers: Growth, Enterprise"),
     ("gold", "Plan offers: Growth, Enterprise")],
)  # fmt: skip
def test_a_select_without_a_valid_choice_says_what_it_offers(choice: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pressables(BLOCKS)[2].action(choice)


def test_an_external_select_passes_the_typed_value() -> None:
    (found,) = pressables([{"type": "actions", "elements": [
        {"type": "external_select", "action_id": "find"}]}])  # fmt: skip
    assert found.block_id == "block0"
    assert found.action("acme")["selected_option"]["value"] == "acme"


def test_every_emoji_the_bot_writes_has_a_terminal_form() -> None:
    import re
    from pathlib import Path

    import bot
    from bot.sandbox.demo import terminal

    root = Path(bot.__file__).resolve().parent
    written = {
        name
        for folder in ("blocks", "slack")
        for path in (root / folder).glob("*.py")
        for name in re.findall(r":[a-z_]+:", path.read_text(encoding="utf-8"))
    }
    assert written, "the scan found no emoji at all"
    missing = sorted(name for name in written if name not in terminal._EMOJI)
    assert not missing
