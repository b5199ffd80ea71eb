"""Configuration problems in plain words: one line per variable, every problem in one round.

A new setting needs nothing here: a validator's `ValueError("must be …")` is shown as it
is, bounds (`ge=`, `le=`) and types get generic wording, and a `pattern=` is explained by
the field's `description` ("must be <description>").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

HEADLINE = "pivotal-bot cannot start; fix the configuration:"
_URL = "must be a full URL such as https://example.com"
_BY_TYPE = {
    "missing": "missing (required)",
    "url_parsing": _URL,
    "url_scheme": "must start with http:// or https://",
    "url_type": _URL,
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "finite_number": "must be a number",
}


def variable(error: ErrorDetails) -> str:
    """The environment variable an error is about (SLACK_BOT_TOKEN, not slack_bot_token)."""
    return "_".join(str(part) for part in error["loc"] if isinstance(part, str)).upper()


def plain(error: ErrorDetails, fields: Mapping[str, FieldInfo]) -> str:
    """What is wrong, in words a person setting variables understands."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _bounds(error, fields)
    if kind == "enum":
        return f"must be one of {ctx.get('expected', '').replace(' or ', ', ')}".replace("'", "")
    if kind == "string_pattern_mismatch":
        info = fields.get(str(error["loc"][0])) if error["loc"] else None
        hint = info.description if info is not None else None
        return f"must be {hint}" if hint else "has characters that are not allowed here"
    return error["msg"].removeprefix("Value error, ")


def _bounds(error: ErrorDetails, fields: Mapping[str, FieldInfo]) -> str:
    """The whole allowed range of the field (not just the side that was crossed)."""
    info = fields.get(str(error["loc"][0])) if error["loc"] else None
    rules = {name: getattr(rule, name) for rule in (info.metadata if info else [])
             for name in _WORDS if getattr(rule, name, None) is not None}  # fmt: skip
    if not rules:
        rules = dict((error.get("ctx") or {}).items())
    if "ge" in rules and "le" in rules:
        return f"must be between {_number(rules['ge'])} and {_number(rules['le'])}"
    parts = [f"{_WORDS[name]} {_number(value)}" for name, value in rules.items() if name in _WORDS]
    return "must be " + " and ".join(parts)


_WORDS = {"gt": "more than", "ge": "at least", "lt": "less than", "le": "at most"}


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def problems_of(exc: ValidationError, fields: Mapping[str, FieldInfo]) -> list[str]:
    """One `NAME: what is wrong` per problem, in the order of the fields."""
    found = []
    for error in exc.errors(include_url=False, include_input=False):
        found.append(f"{variable(error) or 'configuration'}: {plain(error, fields)}")
    return list(dict.fromkeys(found))


def message(problems: Iterable[str]) -> str:
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return f"{HEADLINE}\n{lines}"
