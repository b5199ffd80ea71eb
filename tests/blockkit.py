"""Block Kit checks for tests: slack_sdk's own validators plus the Slack rules they miss.

Every test that builds a message runs it through `assert_valid_message`, so a card that
Slack would refuse (`invalid_blocks`) or that lets customer text ping or link fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

Blocks = list[dict[str, Any]]

# Blocks per surface (docs: 50 in messages and unfurls, 100 in modals and the Home tab).
MAX_BLOCKS = {"message": 50, "unfurl": 50, "modal": 100, "home": 100}
ID_LIMIT = 255
HEADER_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
BUTTON_TEXT_LIMIT = 75
BUTTON_URL_LIMIT = 3000
BUTTON_VALUE_LIMIT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MESSAGE_TEXT_LIMIT = 40_000

# What the bot itself may write in mrkdwn: date tokens and a well-formed channel reference.
_DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|<>]+\|[^|<>]+>")
_CHANNEL_REF = re.compile(r"<#([CG][A-Z0-9]{2,19})>")
_CHANNEL_FIELD = re.compile(r"\*Channel\*\n<#[CG][A-Z0-9]{2,19}>")
# After escape(), every "&" starts one of these three entities.
_LONE_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")


def assert_inert(text: str, *, channel: str | None = None) -> None:
    """Fail if mrkdwn `text` could ping, link or inject markup (`<!…>`, `<@…>`, `<#…>`, `<…|…>`).

    The bot's own `<!date^…|…>` tokens are allowed; `<#C…>` only for `channel` (the id the
    caller expects, e.g. the card's own channel). Any other `<` or `>` means unescaped text.
    """
    rest = _DATE_TOKEN.sub("", text)
    if channel is not None:
        rest = rest.replace(f"<#{channel}>", "")
    for pattern, what in (
        (r"<!", "a special mention or command (<!…>)"),
        (r"<@", "a user mention (<@…>)"),
        (r"<#", "a channel reference (<#…>)"),
        (r"<[^<>]*\|", "a link with a label (<…|…>)"),
        (r"<https?:", "a link (<http…>)"),
        (r"[<>]", "a raw < or >"),
        (_LONE_AMP.pattern, "an unescaped &"),
    ):
        found = re.search(pattern, rest)
        assert found is None, f"mrkdwn is not inert, it contains {what}: {text[:200]!r}"


def block_kit_problems(blocks: Blocks, *, surface: str = "message") -> list[str]:
    """Every reason Slack would refuse `blocks` on `surface`; empty when they are valid."""
    problems: list[str] = []
    limit = MAX_BLOCKS[surface]
    if not 1 <= len(blocks) <= limit:
        problems.append(f"{len(blocks)} blocks; a {surface} takes 1..{limit}")
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            problems.append(f"block {index} is a {type(block).__name__}, not an object")
            continue
        where = f"block {index} ({block.get('type')!r})"
        problems += [f"{where}: {p}" for p in _sdk_problems(block)]
        block_id = block.get("block_id")
        if block_id is not None:
            if not 1 <= len(block_id) <= ID_LIMIT:
                problems.append(f"{where}: block_id is {len(block_id)} characters")
            if block_id in seen_ids:
                problems.append(f"{where}: block_id {block_id!r} is not unique")
            seen_ids.add(block_id)
        problems += [f"{where}: {p}" for p in _block_problems(block)]
    return problems


def assert_valid_message(
    blocks: Blocks,
    *,
    surface: str = "message",
    text: str | None = None,
    channel: str | None = None,
) -> None:
    """Fail unless Slack would accept `blocks` and every mrkdwn text in them is inert.

    `text` (the top-level fallback) is checked too when given; `channel` is an id whose
    `<#…>` reference the caller expects to appear.
    """
    problems = block_kit_problems(blocks, surface=surface)
    assert not problems, "Slack would refuse this message:\n" + "\n".join(problems)
    for mrkdwn in mrkdwn_texts(blocks):
        if _CHANNEL_FIELD.fullmatch(mrkdwn):
            continue  # the card's own Channel field: exactly one well-formed reference
        assert_inert(mrkdwn, channel=channel)
    if text is not None:
        assert text.strip(), "the fallback text is empty"
        assert len(text) <= MESSAGE_TEXT_LIMIT, f"the fallback text is {len(text)} characters"
        assert_inert(text, channel=channel)


def mrkdwn_texts(blocks: Blocks) -> Iterator[str]:
    """Every mrkdwn string in `blocks` (section text and fields, context elements)."""
    for block in blocks:
        objects = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        for obj in objects:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                yield obj["text"]


def plain_texts(blocks: Blocks) -> Iterator[str]:
    """Every plain_text string: headers, button labels (Slack never parses markup in them)."""
    for block in blocks:
        if block.get("type") == "header":
            yield block["text"]["text"]
        for element in _elements(block):
            if isinstance(element.get("text"), dict):
                yield element["text"]["text"]


def _sdk_problems(block: dict[str, Any]) -> list[str]:
    try:
        parsed = Block.parse(block)
    except (SlackObjectFormationError, TypeError, KeyError) as exc:
        return [f"slack_sdk cannot parse it: {exc}"]
    if parsed is None:
        return ["slack_sdk does not know this block type"]
    try:
        rebuilt = parsed.to_dict()
    except SlackObjectFormationError as exc:
        return [f"slack_sdk validator: {exc}"]
    # slack_sdk drops keys it does not know and empty strings: a difference is a typo or a gap.
    if rebuilt != block:
        return [f"slack_sdk rebuilt it differently (unknown key or empty value): {rebuilt}"]
    return []


def _block_problems(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return _text_problems(block.get("text"), "header text", HEADER_LIMIT, plain=True)
    if kind == "section":
        return _section_problems(block)
    if kind == "context":
        count = len(block.get("elements", []))
        if not 1 <= count <= MAX_CONTEXT_ELEMENTS:
            return [f"context has {count} elements (1..{MAX_CONTEXT_ELEMENTS})"]
        return []
    if kind == "actions":
        return _actions_problems(block)
    return []


def _section_problems(block: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if "text" in block:
        problems += _text_problems(block["text"], "section text", SECTION_TEXT_LIMIT)
    fields = block.get("fields")
    if fields is not None:
        if not 1 <= len(fields) <= MAX_FIELDS:
            problems.append(f"section has {len(fields)} fields (1..{MAX_FIELDS})")
        for n, field in enumerate(fields):
            problems += _text_problems(field, f"field {n}", FIELD_LIMIT)
    if "text" not in block and fields is None:
        problems.append("section has neither text nor fields")
    if "accessory" in block:
        problems += _element_problems(block["accessory"])
    return problems


def _actions_problems(block: dict[str, Any]) -> list[str]:
    elements = block.get("elements", [])
    problems: list[str] = []
    if not 1 <= len(elements) <= MAX_ACTIONS_ELEMENTS:
        problems.append(f"actions has {len(elements)} elements (1..{MAX_ACTIONS_ELEMENTS})")
    action_ids = [e.get("action_id") for e in elements if e.get("action_id") is not None]
    if len(action_ids) != len(set(action_ids)):
        problems.append(f"action_ids repeat inside one block: {action_ids}")
    for element in elements:
        problems += _element_problems(element)
    return problems


def _element_problems(element: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None and not 1 <= len(action_id) <= ID_LIMIT:
        problems.append(f"action_id is {len(action_id)} characters")
    if element.get("type") != "button":
        return problems
    problems += _text_problems(element.get("text"), "button text", BUTTON_TEXT_LIMIT, plain=True)
    url = element.get("url")
    if url is not None:
        if not 1 <= len(url) <= BUTTON_URL_LIMIT:
            problems.append(f"button url is {len(url)} characters")
        if not re.match(r"https?://[^\s/]+", url):
            problems.append(f"button url is not an http(s) URL: {url[:100]!r}")
    value = element.get("value")
    if value is not None and not 1 <= len(value) <= BUTTON_VALUE_LIMIT:
        problems.append(f"button value is {len(value)} characters")
    if element.get("style") not in (None, "primary", "danger"):
        problems.append(f"button style {element.get('style')!r}")
    return problems


def _text_problems(obj: Any, what: str, limit: int, *, plain: bool = False) -> list[str]:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return [f"{what} is not a text object"]
    problems: list[str] = []
    if plain and obj.get("type") != "plain_text":
        problems.append(f"{what} must be plain_text, not {obj.get('type')!r}")
    if not plain and obj.get("type") not in ("mrkdwn", "plain_text"):
        problems.append(f"{what} has type {obj.get('type')!r}")
    if not 1 <= len(obj["text"]) <= limit:
        problems.append(f"{what} is {len(obj['text'])} characters (1..{limit})")
    return problems


def _elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if block.get("type") == "actions":
        yield from block.get("elements", [])
    if isinstance(block.get("accessory"), dict):
        yield block["accessory"]


def assert_valid_view(view: dict[str, Any], *, channel: str | None = None) -> None:
    """Fail unless Slack would accept `view` (a modal or the Home tab) and its blocks."""
    from slack_sdk.models.views import View

    kind = view.get("type")
    assert kind in ("modal", "home"), f"view type {kind!r}"
    try:
        View(**view).validate_json()
    except SlackObjectFormationError as exc:
        raise AssertionError(f"slack_sdk refuses the view: {exc}") from exc
    if kind == "modal":
        assert len(view["title"]["text"]) <= 24, "a modal title takes at most 24 characters"
    assert_valid_message(view["blocks"], surface=kind, channel=channel)
