"""CHANNEL_LINKERS: admins, everyone, or user and group ids; a bad item is named."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.lookup.linkers import Linkers, parse_linkers

GOOD = {
    "slack_bot_token": "xoxb-1-secret-bot-token",
    "slack_signing_secret": "signing-secret-value-123",
    "pivotal_api_key": "pivotal_test_secret_key_value",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("admins", Linkers("admins")),
        ("ADMINS", Linkers("admins")),
        ("  everyone ", Linkers("everyone")),
        ("Everyone", Linkers("everyone")),
        ("", Linkers("admins")),  # blank: the default
        ("   ", Linkers("admins")),
        ("U012AB3CD", Linkers("listed", users=frozenset({"U012AB3CD"}))),
        ("W0ENTERPRISE1", Linkers("listed", users=frozenset({"W0ENTERPRISE1"}))),
        ("S0CSTEAM", Linkers("listed", groups=frozenset({"S0CSTEAM"}))),
        (
            "U012AB3CD, S0CSTEAM ,W0ABC",
            Linkers(
                "listed", users=frozenset({"U012AB3CD", "W0ABC"}), groups=frozenset({"S0CSTEAM"})
            ),
        ),
        ("U012AB3CD,,", Linkers("listed", users=frozenset({"U012AB3CD"}))),  # stray commas
    ],
)
def test_valid_values(text: str, expected: Linkers) -> None:
    assert parse_linkers(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("admin", ["'admin'"]),
        ("nobody", ["'nobody'"]),
        ("U012AB3CD,bob", ["'bob'"]),
        ("u012ab3cd", ["'u012ab3cd'"]),  # Slack ids are upper case
        ("C024BE7LT", ["'C024BE7LT'"]),  # a channel, not a person
        ("<@U012AB3CD>", ["'<@U012AB3CD>'"]),
        ("U1", ["'U1'"]),  # too short to be an id
        ("S0TEAM,T0WORKSPACE,x", ["'T0WORKSPACE'", "'x'"]),
        ("admins,U012AB3CD", ["'admins'"]),
        ("U012AB3CD,everyone", ["'everyone'"]),
    ],
)
def test_invalid_values_name_the_bad_items(text: str, named: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        parse_linkers(text)
    message = str(info.value)
    for item in named:
        assert item in message
    assert "admins, everyone, or a comma-separated list" in message


def test_setting_round_trips() -> None:
    for text in ("admins", "everyone", "U012AB3CD,W0ABC,S0CSTEAM"):
        assert parse_linkers(text).setting() == text
        assert parse_linkers(parse_linkers(text).setting()) == parse_linkers(text)


def test_default_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(_env_file=None, **GOOD).channel_linkers == Linkers("admins")  # type: ignore[arg-type]
    monkeypatch.setenv("CHANNEL_LINKERS", "U012AB3CD,S0CSTEAM")
    settings = load_settings(_env_file=None, **GOOD)  # type: ignore[arg-type]
    assert settings.channel_linkers.users == {"U012AB3CD"}
    assert settings.channel_linkers.groups == {"S0CSTEAM"}


def test_a_bad_value_stops_start_up_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANNEL_LINKERS", "U012AB3CD,#general")
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None, **GOOD)  # type: ignore[arg-type]
    line = next(line for line in str(info.value).splitlines() if "CHANNEL_LINKERS" in line)
    assert "'#general' is not a Slack user or user group id" in line
    assert "U012AB3CD" not in line.split("is not")[0]
