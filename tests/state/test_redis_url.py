"""REDIS_URL: optional; a malformed one is named with every other problem, never echoed."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings

GOOD = {
    "slack_bot_token": "xoxb-1-secret-bot-token",
    "slack_signing_secret": "signing-secret-value-123",
    "pivotal_api_key": "pivotal_test_secret_key_value",
}


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost:6379/0",
        "redis://:s3cret@redis.internal:6380",
        "rediss://user:s3cret@ec2-1-2-3-4.compute.amazonaws.com:25070",
        "unix:///var/run/redis/redis.sock",
        "unix:///tmp/redis.sock?db=2",
    ],
)
def test_accepted(url: str) -> None:
    settings = load_settings(_env_file=None, redis_url=url, **GOOD)
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value() == url


@pytest.mark.parametrize("url", ["", "   "])
def test_blank_means_unset(url: str) -> None:
    assert load_settings(_env_file=None, redis_url=url, **GOOD).redis_url is None


def test_unset_by_default() -> None:
    assert load_settings(_env_file=None, **GOOD).redis_url is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("localhost:6379", "must start with redis://, rediss:// or unix://"),
        ("http://s3cret@localhost:6379", "must start with redis://"),
        ("redis://", "must name a host"),
        ("redis://:s3cret@host:notaport", "port not a number"),
        ("redis://:s3cret@host:6379/cache", "database after the host must be a number"),
        ("unix://relative.sock", "unix:///absolute/path.sock"),
    ],
)
def test_malformed_is_named_with_the_other_problems(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, redis_url=url, **{**GOOD, "currency": "dollars"})
    message = str(caught.value)
    line = next(x for x in message.splitlines() if "REDIS_URL:" in x)
    assert says in line
    assert "CURRENCY:" in message
    assert "s3cret" not in message
