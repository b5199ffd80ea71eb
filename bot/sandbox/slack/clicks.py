"""What can be pressed in a message, and the block_actions payload Slack sends for it (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Elements that send their value to the app when used (a button with a url opens a browser).
SELECTS = ("static_select", "external_select", "overflow", "radio_buttons")


@dataclass(frozen=True)
class Pressable:
    """One interactive element of a message: a button or a select, with its block's id."""

    element: dict[str, Any]
    block_id: str

    @property
    def kind(self) -> str:
        return str(self.element.get("type") or "")

    @property
    def label(self) -> str:
        text = self.element.get("text") or self.element.get("placeholder") or {}
        return str(text.get("text") or self.element.get("action_id") or self.kind)

    def options(self) -> list[dict[str, Any]]:
        """The choices of a select, flattened out of option groups."""
        found = list(self.element.get("options") or [])
        for group in self.element.get("option_groups") or []:
            found.extend(group.get("options") or [])
        return [o for o in found if isinstance(o, dict) and "value" in o]

    def action(self, choice: str = "", *, action_ts: str = "1732560000.000300") -> dict[str, Any]:
        """The `actions[0]` Slack sends when this is pressed (a select: with `choice`).

        Raises ValueError when a select gets no choice or one it does not offer.
        """
        base = {
            "type": self.kind,
            "action_id": self.element.get("action_id"),
            "block_id": self.block_id,
            "action_ts": action_ts,
        }
        if self.kind == "button":
            return {**base, "text": self.element.get("text"), "value": self.element.get("value")}
        return {**base, "selected_option": self._option(choice)}

    def _option(self, choice: str) -> dict[str, Any]:
        choice = choice.strip()
        options = self.options()
        if not choice:
            raise ValueError(f"{self.label} is a list: add your choice, e.g. /click N 1")
        if not options:  # external_select: options come from the app; pass the value as is
            return {"text": {"type": "plain_text", "text": choice}, "value": choice}
        if choice.isdigit() and 1 <= int(choice) <= len(options):
            return options[int(choice) - 1]
        for option in options:
            text = str((option.get("text") or {}).get("text") or "")
            if choice in (option["value"], text) or choice.lower() == text.lower():
                return option
        names = ", ".join(str((o.get("text") or {}).get("text")) for o in options)
        raise ValueError(f"{self.label} offers: {names}")


def is_pressable(element: dict[str, Any]) -> bool:
    """Does using `element` send the app something worth showing (not just open a URL)?"""
    kind = element.get("type")
    if not element.get("action_id"):
        return False
    if kind == "button":
        return "url" not in element and "value" in element
    return kind in SELECTS


def pressables(blocks: list[dict[str, Any]]) -> list[Pressable]:
    """Every pressable element of `blocks`, in reading order (the order the demo numbers)."""
    return [Pressable(element, block_id) for element, block_id in _elements(blocks)]


def _elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str]]:
    for index, block in enumerate(blocks):
        block_id = str(block.get("block_id") or f"block{index}")
        candidates: list[Any] = []
        if block.get("type") == "actions":
            candidates = list(block.get("elements") or [])
        elif isinstance(block.get("accessory"), dict):
            candidates = [block["accessory"]]
        for element in candidates:
            if isinstance(element, dict) and is_pressable(element):
                yield element, block_id
