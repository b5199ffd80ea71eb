"""Configuration problems: every one named in one message, in plain words (tables)."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings

TOKEN = {"SLACK_BOT_TOKEN": "xoxb-1-secret-bot-token"}
KEY = {"PIVOTAL_API_KEY": "pivotal_test_secret_key_value"}
SECRET = {"SLACK_SIGNING_SECRET": "signing-secret-value-123"}
APP = {"SLACK_APP_TOKEN": "xapp-1-app-token"}
GOOD = {**TOKEN, **KEY, **SECRET}
MISSING_TOKEN = "SLACK_BOT_TOKEN: missing (required)"
MISSING_KEY = "PIVOTAL_API_KEY: missing (required)"
NEED_SECRET = "SLACK_SIGNING_SECRET: required in HTTP mode"
NEED_APP = "SLACK_APP_TOKEN: required for Socket Mode (an xapp- token)"
# What pydantic says on its own, which a person setting variables should never have to read.
JARGON = ("Input should", "relative URL", "pydantic", "validation error", "Value error", "[type=")


def problems(env: dict[str, str], **mode: bool) -> list[str]:
    """The problem lines of the one ConfigError `env` raises."""
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, **{k.lower(): v for k, v in env.items()}, **mode)
    headline, *lines = str(caught.value).splitlines()
    assert headline == "pivotal-bot cannot start; fix the configuration:"
    assert all(line.startswith("  - ") for line in lines), lines
    return [line.removeprefix("  - ") for line in lines]


@pytest.mark.parametrize(
    ("env", "mode", "expected"),
    [
        ({}, {}, [MISSING_TOKEN, MISSING_KEY, NEED_SECRET]),
        ({}, {"socket_mode": True}, [MISSING_TOKEN, MISSING_KEY, NEED_APP]),
        ({}, {"need_signing_secret": False}, [MISSING_TOKEN, MISSING_KEY]),  # check
        ({**TOKEN}, {}, [MISSING_KEY, NEED_SECRET]),
        ({**TOKEN, **KEY}, {}, [NEED_SECRET]),
        ({**TOKEN, **KEY}, {"socket_mode": True}, [NEED_APP]),
        ({**KEY, **SECRET}, {"socket_mode": True}, [MISSING_TOKEN, NEED_APP]),
        ({**KEY, "SLACK_SIGNING_SECRET": "  "}, {}, [MISSING_TOKEN, NEED_SECRET]),  # blank
        # A malformed secret is named for its shape, not also as missing.
        ({**KEY, "SLACK_APP_TOKEN": "xoxb-wrong"}, {"socket_mode": True},
         [MISSING_TOKEN, "SLACK_APP_TOKEN: must be an app-level token starting with xapp-"]),
        ({**GOOD, "PORT": "http", "PIVOTAL_API_URL": "my.pivotal.app"}, {},
         ["PIVOTAL_API_URL: must be a full URL such as https://example.com",
          "PORT: must be a whole number"]),
        ({"SLACK_BOT_TOKEN": "xoxp-user", "PIVOTAL_API_KEY": "sk_live", "PORT": "-1"}, {},
         ["SLACK_BOT_TOKEN: must be a bot token starting with xoxb-",
          "PIVOTAL_API_KEY: must be a Pivotal key starting with pivotal_ or pivotal_test_",
          "PORT: must be between 0 and 65535", NEED_SECRET]),
    ],
)  # fmt: skip
def test_every_problem_in_one_message(
    env: dict[str, str], mode: dict[str, bool], expected: list[str]
) -> None:
    assert problems(env, **mode) == expected


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("PIVOTAL_API_URL", "not a url", "must be a full URL such as https://example.com"),
        ("PIVOTAL_APP_URL", "ftp://my.pivotal.app", "must start with http:// or https://"),
        ("SLACK_API_URL", "http://slack.example/", "must use https (plain http only on loopback)"),
        ("PORT", "70000", "must be between 0 and 65535"),
        ("PORT", "3000.5", "must be a whole number"),
        ("CACHE_TTL_SECONDS", "0", "must be more than 0 and at most 86400"),
        ("DIRECTORY_REFRESH_SECONDS", "86401", "must be more than 0 and at most 86400"),
        ("CACHE_TTL_SECONDS", "five", "must be a number"),
        ("PIVOTAL_TIMEOUT_SECONDS", "60", "must be between 0.5 and 30"),
        ("STRIPE_TEST_MODE", "maybe", "must be true or false"),
        ("EXTERNAL_UNFURLS", "some", "must be one of off, minimal, full"),
        ("CURRENCY", "dollars", "must be a three-letter code such as USD"),
        ("HUBSPOT_PORTAL_ID", "12a", "must be the hub id: digits only"),
        ("HUBSPOT_HOST", "App.HubSpot.com/x", "must be a host name such as app-eu1.hubspot.com"),
        ("INTERCOM_APP_ID", "a b", "must be the workspace id: up to 64 letters, digits, _ or -"),
        ("LOG_LEVEL", "loud", "must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG"),
    ],
)  # fmt: skip
def test_each_problem_in_plain_words(name: str, value: str, words: str) -> None:
    (line,) = problems({**GOOD, name: value})
    assert line == f"{name}: {words}"
    assert not any(jargon in line for jargon in JARGON), line
    assert value not in line or value in words  # values are not echoed (they may be secrets)


def test_port_0_means_any_free_port() -> None:
    settings = load_settings(_env_file=None, **{k.lower(): v for k, v in GOOD.items()}, port="0")
    assert settings.port == 0
