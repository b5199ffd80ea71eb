"""Every test runs with none of the bot's variables set, whatever the shell exports."""

from __future__ import annotations

import os

import pytest
from pydantic import AliasChoices

from bot import config
from bot.config import Settings
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401 (fixtures)


def bot_variables() -> frozenset[str]:
    """The names Settings reads, from its fields (so a new setting is scrubbed too)."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names = set()
    for name, info in Settings.model_fields.items():
        names.add(f"{prefix}{name}")
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
    return frozenset(name.upper() for name in names)


BOT_VARIABLES = bot_variables()


@pytest.fixture(autouse=True)
def clean_environ(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Unset every variable the bot reads for the test, restoring them afterwards; the
    default SQLite file (no DATABASE_URL) lives in a folder of the test's own."""
    for key in list(os.environ):
        if key.upper() in BOT_VARIABLES:
            monkeypatch.delenv(key)
    folder = tmp_path_factory.mktemp("durable")
    monkeypatch.setattr(config, "DEFAULT_DATABASE_FILE", str(folder / "pivotal-bot.db"))
