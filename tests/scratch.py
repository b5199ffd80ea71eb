"""Where a test's bot keeps its durable state: the test's own SQLite file, never the repo's."""

from __future__ import annotations

from bot import config


def scratch_database_url() -> str:
    """DATABASE_URL for a `pivotal-bot` process a test starts (the autouse fixture in
    tests/conftest.py points the default file into a folder of the test's own)."""
    return f"sqlite:///{config.DEFAULT_DATABASE_FILE}"
