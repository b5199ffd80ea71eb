"""Settings: one message naming every problem, exit code 2, secrets never shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, ExternalUnfurls, Settings, load_settings, settings_from
from tests.conftest import BOT_VARIABLES

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1-secret-bot-token",
    "SLACK_SIGNING_SECRET": "signing-secret-value-123",
    "PIVOTAL_API_KEY": "pivotal_test_secret_key_value",
}
SECRETS = list(GOOD.values())


def load(env: dict[str, str], **kwargs: bool) -> Settings:
    return load_settings(_env_file=None, **{k.lower(): v for k, v in env.items()}, **kwargs)


def test_defaults() -> None:
    settings = load(GOOD)
    assert settings.api_url == "https://my.pivotal.app/api/v1"
    assert settings.app_url == "https://my.pivotal.app"
    assert settings.slack_url == "https://slack.com/api/"
    assert settings.currency == "USD"
    assert settings.cache_ttl_seconds == 300
    assert settings.directory_refresh_seconds == 600
    assert (settings.host, settings.port, settings.log_level) == ("0.0.0.0", 3000, "INFO")
    assert settings.external_unfurls is ExternalUnfurls.MINIMAL
    assert settings.stripe_test_mode is False
    assert settings.pivotal_key_is_test


def test_secrets_never_in_repr_or_str() -> None:
    settings = load(GOOD)
    for shown in (repr(settings), str(settings), str(settings.model_dump())):
        for secret in SECRETS:
            assert secret not in shown


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load({"SLACK_BOT_TOKEN": "xoxp-user-token", "PORT": "99999", "CURRENCY": "dollars",
              "PIVOTAL_API_URL": "http://evil.example/api", "LOG_LEVEL": "loud"})  # fmt: skip
    message = str(caught.value)
    for name in ("SLACK_BOT_TOKEN", "PIVOTAL_API_KEY", "PORT", "CURRENCY", "LOG_LEVEL"):
        assert name in message
    assert "PIVOTAL_API_URL" in message or "https" in message
    assert "xoxp-user-token" not in message


def test_signing_secret_required_in_http_mode_only() -> None:
    env = {k: v for k, v in GOOD.items() if k != "SLACK_SIGNING_SECRET"}
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load(env)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        load(env, socket_mode=True)
    assert load({**env, "SLACK_APP_TOKEN": "xapp-1-token"}, socket_mode=True)


def test_allowed_team_ids_from_comma_list() -> None:
    settings = load({**GOOD, "ALLOWED_TEAM_IDS": "T1, T2,,E3"})
    assert settings.allowed_team_ids == frozenset({"T1", "T2", "E3"})


def test_loopback_http_allowed_for_local_fakes() -> None:
    settings = load({**GOOD, "PIVOTAL_API_URL": "http://127.0.0.1:8765/api/v1/"})
    assert settings.api_url == "http://127.0.0.1:8765/api/v1"


def test_serve_with_bad_config_exits_2_with_one_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIVOTAL_"))}
    env.update({"SLACK_BOT_TOKEN": "not-a-token", "PIVOTAL_API_KEY": "pivotal_live_secret_x"})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "SLACK_SIGNING_SECRET" in result.stderr or "xoxb" in result.stderr
    assert "pivotal_live_secret_x" not in result.stderr + result.stdout


def test_tests_run_without_the_bots_variables() -> None:
    assert {"CURRENCY", "ALLOWED_TEAM_IDS", "PORT", "LOG_LEVEL", "SLACK_BOT_TOKEN"} <= BOT_VARIABLES
    assert {k for k in os.environ if k.upper() in BOT_VARIABLES} == set()


def test_settings_from_arguments_ignore_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CURRENCY", "EUR")
    monkeypatch.setenv("ALLOWED_TEAM_IDS", "T999")
    (tmp_path / ".env").write_text("LOG_LEVEL=ERROR\n")
    monkeypatch.chdir(tmp_path)
    settings = settings_from(**{k.lower(): v for k, v in GOOD.items()})
    assert (settings.currency, settings.allowed_team_ids) == ("USD", frozenset())
    assert settings.log_level == "INFO"
    assert settings_from(**{k.lower(): v for k, v in GOOD.items()}, currency="chf").currency == (
        "CHF"
    )
    assert load(GOOD).currency == "EUR"  # the real loader does read the environment


WEBHOOK_SECRET = "whsec_" + "a2V5LWZvci13ZWJob29rcy10ZXN0cy0wMQ=="


def test_webhook_secret_is_optional_and_blank_means_off() -> None:
    assert load(GOOD).pivotal_webhook_secret is None
    assert load({**GOOD, "PIVOTAL_WEBHOOK_SECRET": "  "}).pivotal_webhook_secret is None
    settings = load({**GOOD, "PIVOTAL_WEBHOOK_SECRET": f"{WEBHOOK_SECRET} {WEBHOOK_SECRET}"})
    assert settings.pivotal_webhook_secret is not None
    assert (settings.directory_reconcile_seconds, settings.webhook_quiet_seconds) == (3600, 900)


@pytest.mark.parametrize(
    ("value", "words"),
    [("sk_abc", "does not start with whsec_"), (f"{WEBHOOK_SECRET} whsec_@@", "secret 2 of 2")],
)
def test_malformed_webhook_secret_is_named_with_the_other_problems(value: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load({"SLACK_BOT_TOKEN": "nope", "PIVOTAL_API_KEY": GOOD["PIVOTAL_API_KEY"],
              "PIVOTAL_WEBHOOK_SECRET": value})  # fmt: skip
    message = str(caught.value)
    assert "PIVOTAL_WEBHOOK_SECRET" in message and words in message
    assert "SLACK_BOT_TOKEN" in message
    assert WEBHOOK_SECRET[6:] not in message
