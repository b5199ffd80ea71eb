"""Block Kit as readable terminal text, for the demo (pure)."""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from bot.sandbox.slack.clicks import SELECTS, is_pressable

_EMOJI = {
    ":large_green_circle:": "🟢",
    ":large_blue_circle:": "🔵",
    ":large_orange_circle:": "🟠",
    ":red_circle:": "🔴",
    ":white_circle:": "⚪",
    ":radio_button:": "🔘",
    ":warning:": "⚠️",
    ":mag:": "🔍",
    ":link:": "🔗",
    ":lock:": "🔒",
    ":thinking_face:": "🤔",
    ":hourglass_flowing_sand:": "⏳",
    ":arrows_counterclockwise:": "🔄",
    ":hourglass:": "⌛",
    ":white_check_mark:": "✅",
    ":information_source:": "ℹ️",
    ":no_entry:": "⛔",
    ":bell:": "🔔",
    ":no_bell:": "🔕",
    ":double_vertical_bar:": "⏸️",
    ":zzz:": "💤",
}
_DATE = re.compile(r"<!date\^[0-9]+\^[^|>]*\|([^>]*)>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
BUILDER = "https://app.slack.com/block-kit-builder#"


class Style:
    """ANSI styling (or none when the output is not a terminal), and the names Slack would
    show for channel and user ids."""

    def __init__(self, enabled: bool, names: Mapping[str, str] | None = None):
        self.enabled = enabled
        self.names = dict(names or {})

    def bold(self, text: str) -> str:
        return f"\033[1m{text}\033[0m" if self.enabled else text

    def dim(self, text: str) -> str:
        return f"\033[2m{text}\033[0m" if self.enabled else text


def mrkdwn(text: str, style: Style) -> str:
    """Slack mrkdwn as plain terminal text."""
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _CHANNEL.sub(lambda m: f"#{style.names.get(m.group(1), m.group(1))}", text)
    text = _USER.sub(lambda m: f"@{style.names.get(m.group(1), m.group(1))}", text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BOLD.sub(lambda m: style.bold(m.group(1)), text)
    for code, glyph in _EMOJI.items():
        text = text.replace(code, glyph)
    return html.unescape(text)


def render_blocks(blocks: list[dict[str, Any]], style: Style, *, first: int | None = None) -> str:
    """One message's blocks as indented lines.

    With `first`, pressable elements (see `clicks.pressables`) are numbered from it, in the
    order `pressables` lists them, so a typed number can press one.
    """
    numbers = itertools.count(first) if first is not None else None
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += [style.bold(title), "─" * min(max(len(title), 20), 60)]
        elif kind == "section":
            lines += _section(block, style, numbers)
        elif kind == "context":
            parts = [mrkdwn(e.get("text", ""), style) for e in block.get("elements", [])]
            lines.append(style.dim("  ".join(parts)))
        elif kind == "actions":
            lines += [_element(e, numbers) for e in block.get("elements", [])]
        elif kind == "divider":
            lines.append("─" * 40)
    return "\n".join("  " + line for line in "\n".join(lines).splitlines())


def _section(block: dict[str, Any], style: Style, numbers: Iterator[int] | None) -> list[str]:
    lines: list[str] = []
    if "text" in block:
        lines.append(mrkdwn(block["text"]["text"], style))
    for field in block.get("fields", []):
        label, _, value = field["text"].partition("\n")
        # Pad the plain label, then style it: escape codes would throw the column off.
        label_text = f"{mrkdwn(label, Style(False, style.names)).strip('*')}:"
        lines.append(f"{style.bold(f'{label_text:<17}')} {mrkdwn(value, style)}")
    accessory = block.get("accessory")
    if isinstance(accessory, dict) and accessory.get("type") in ("button", *SELECTS):
        lines[-1:] = [f"{lines[-1] if lines else ''}   {_element(accessory, numbers)}"]
    return lines


def _element(element: dict[str, Any], numbers: Iterator[int] | None) -> str:
    label = str((element.get("text") or element.get("placeholder") or {}).get("text", ""))
    if element.get("type") in SELECTS:
        label += " ▾"
    if numbers is not None and is_pressable(element):
        return f"({next(numbers)}) [{label}]"
    target = element.get("url") or f"(action {element.get('action_id')})"
    return f"[{label}] {target}"


def builder_link(blocks: list[dict[str, Any]]) -> str:
    """A Block Kit Builder link that previews `blocks`."""
    return BUILDER + quote(json.dumps({"blocks": blocks}, separators=(",", ":")), safe="")
