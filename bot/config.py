"""Settings: the one reader of the environment (and an optional .env file)."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot import config_messages
from bot.config_urls import database_url_problem, redis_url_problem
from bot.lookup.linkers import Linkers, parse_linkers
from bot.pivotal.webhooks import parse_secrets

DEFAULT_PIVOTAL_API_URL = "https://my.pivotal.app/api/v1"
DEFAULT_PIVOTAL_APP_URL = "https://my.pivotal.app"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# The durable tier without DATABASE_URL: this file in the working directory.
DEFAULT_DATABASE_FILE = "pivotal-bot.db"

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ExternalUnfurls(StrEnum):
    """What an unfurl shows in a channel shared with another organisation."""

    OFF = "off"
    MINIMAL = "minimal"
    FULL = "full"


class ConfigError(Exception):
    """The configuration cannot start the bot; the message names every problem."""


PositiveSeconds = Annotated[float, Field(gt=0, le=86_400)]


class Settings(BaseSettings):
    """Everything the bot reads from its environment, validated once at start-up."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    pivotal_api_key: SecretStr
    pivotal_api_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_PIVOTAL_API_URL)
    pivotal_app_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_PIVOTAL_APP_URL)
    slack_api_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_SLACK_API_URL)
    hubspot_portal_id: str | None = Field(
        default=None, pattern=r"^[0-9]{1,20}$", description="the hub id: digits only"
    )
    hubspot_host: str = Field(
        default="app.hubspot.com",
        pattern=r"^[a-z0-9.-]+$",
        description="a host name such as app-eu1.hubspot.com",
    )
    intercom_app_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="the workspace id: up to 64 letters, digits, _ or -",
    )
    stripe_test_mode: bool = False
    currency: str = Field(
        default="USD", pattern=r"^[A-Za-z]{3}$", description="a three-letter code such as USD"
    )
    pivotal_timeout_seconds: Annotated[float, Field(ge=0.5, le=30)] = 4.5
    cache_ttl_seconds: PositiveSeconds = 300
    directory_refresh_seconds: PositiveSeconds = 600
    pivotal_webhook_secret: SecretStr | None = None
    directory_reconcile_seconds: PositiveSeconds = 3600
    webhook_quiet_seconds: PositiveSeconds = 900
    # An event being applied is another replica's to finish after this long without a
    # "done"; a failed one is tried again after it too.
    webhook_lease_seconds: Annotated[float, Field(ge=0.5, le=3600)] = 30
    external_unfurls: ExternalUnfurls = ExternalUnfurls.MINIMAL
    allowed_team_ids: Annotated[frozenset[str], NoDecode] = frozenset()
    # Who may link a channel to a customer: admins, everyone, or user and group ids.
    channel_linkers: Annotated[Linkers, NoDecode] = Linkers()
    host: str = "0.0.0.0"  # noqa: S104 - a server listens on all interfaces by default
    port: int = Field(default=3000, ge=0, le=65_535)  # 0: any free port
    log_level: str = "INFO"
    redis_url: SecretStr | None = None  # may carry a password
    database_url: SecretStr | None = None  # likewise; unset: a SQLite file (DEFAULT_DATABASE_FILE)
    dyno: str | None = None  # set by Heroku on every dyno, whose disk is wiped on restart

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("pivotal_api_key")
    @classmethod
    def _api_key_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("pivotal_"):
            raise ValueError("must be a Pivotal key starting with pivotal_ or pivotal_test_")
        return value

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret_present(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        problem = redis_url_problem(value.get_secret_value().strip())
        if problem:
            raise ValueError(problem)
        return SecretStr(value.get_secret_value().strip())

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        problem = database_url_problem(value.get_secret_value().strip())
        if problem:
            raise ValueError(problem)
        return SecretStr(value.get_secret_value().strip())

    @field_validator("pivotal_webhook_secret")
    @classmethod
    def _webhook_secrets_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parse_secrets(value.get_secret_value())  # raises ValueError naming the bad secret
        return value

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        return value.upper()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return level

    @field_validator("allowed_team_ids", mode="before")
    @classmethod
    def _split_team_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("channel_linkers", mode="before")
    @classmethod
    def _parse_linkers(cls, value: object) -> object:
        return parse_linkers(value) if isinstance(value, str) else value

    @field_validator("pivotal_api_url", "pivotal_app_url", "slack_api_url")
    @classmethod
    def _https_or_loopback(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        if url.scheme != "https" and url.host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
            raise ValueError("must use https (plain http only on loopback)")
        return url

    @property
    def pivotal_key_is_test(self) -> bool:
        return self.pivotal_api_key.get_secret_value().startswith("pivotal_test_")

    @property
    def api_url(self) -> str:
        return str(self.pivotal_api_url).rstrip("/")

    @property
    def app_url(self) -> str:
        return str(self.pivotal_app_url).rstrip("/")

    @property
    def slack_url(self) -> str:
        return str(self.slack_api_url).rstrip("/") + "/"

    @property
    def durable_url(self) -> str:
        """DATABASE_URL, or the SQLite file in the working directory when it is unset."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{Path(DEFAULT_DATABASE_FILE).resolve()}"

    def durable_warnings(self) -> list[str]:
        """Why the durable tier may not keep what it is told, for start-up and `check`."""
        if self.database_url is not None:
            return []
        if self.dyno:
            return [
                "DATABASE_URL is unset on Heroku: the dyno's disk is wiped on every restart, "
                "and the SQLite file with it (add Heroku Postgres)"
            ]
        if self.redis_url is not None:
            return [
                "REDIS_URL is set but DATABASE_URL is not: each replica keeps its own "
                "durable state in its own SQLite file (set DATABASE_URL to one PostgreSQL)"
            ]
        return []

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


class _Given(Settings):
    """Settings from constructor arguments alone: no environment, no .env file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def settings_from(**values: object) -> Settings:
    """Settings built from `values` only, whatever the shell exports (sandbox and tests)."""
    return _Given(**values)  # type: ignore[arg-type]


def load_settings(
    *, socket_mode: bool = False, need_signing_secret: bool = True, **overrides: object
) -> Settings:
    """Build Settings from the environment, or raise ConfigError naming every problem.

    Problems of the mode (a signing secret for HTTP, an app token for Socket Mode) are
    named in the same message as malformed or missing variables.
    """
    settings: Settings | _Present | None = None
    problems: list[str] = []
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = config_messages.problems_of(exc, Settings.model_fields)
        settings = _Present(**overrides)  # type: ignore[arg-type]
    if socket_mode and not _given(settings.slack_app_token):
        problems.append("SLACK_APP_TOKEN: required for Socket Mode (an xapp- token)")
    if need_signing_secret and not socket_mode and not _given(settings.slack_signing_secret):
        problems.append("SLACK_SIGNING_SECRET: required in HTTP mode")
    if problems:
        raise ConfigError(config_messages.message(problems))
    assert isinstance(settings, Settings)
    return settings


class _Present(BaseSettings):
    """Which mode-dependent secrets were given, read the way Settings reads them."""

    model_config = Settings.model_config
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None


def _given(secret: SecretStr | None) -> bool:
    return secret is not None and bool(secret.get_secret_value().strip())
