"""Chooses the durable tier's stores: one Database for DATABASE_URL (or the SQLite file)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.logs import event
from bot.store.database import Database, DatabaseUnavailable
from bot.store.follows import SqlFollows
from bot.store.inbox import SqlInbox
from bot.store.outbox import SqlOutbox
from bot.store.signals import SqlSignals

log = logging.getLogger(__name__)

UNAVAILABLE_EFFECT = "lookups work; webhooks are answered 503 (Pivotal sends them again)"


@dataclass
class Durable:
    """What must survive restarts: the webhook inbox, the signals webhooks told, the follows
    and the notifications they owe."""

    database: Database
    inbox: SqlInbox
    signals: SqlSignals
    follows: SqlFollows
    outbox: SqlOutbox
    ready: bool = False  # migrated and reachable at start-up

    async def open(self) -> bool:
        """Migrate to the current schema (one replica at a time); False when unreachable."""
        try:
            await self.database.migrate()
        except DatabaseUnavailable as exc:
            event(log, "store.unavailable", logging.WARNING, database=self.database.display_url,
                  error=str(exc), effect=UNAVAILABLE_EFFECT)  # fmt: skip
            return False
        self.ready = True
        event(log, "store.ready", database=self.database.display_url,
              dialect=self.database.dialect, shared=self.database.shared)  # fmt: skip
        return True

    async def open_eventually(self, *, every: float = 10.0) -> None:
        """Try `open()` until it works (the database was away at start-up)."""
        while True:
            if await self.open():
                return
            await asyncio.sleep(every)

    async def aclose(self) -> None:
        await self.database.aclose()


def build_durable(settings: Settings) -> Durable:
    """The durable stores for `settings` (no I/O: `open()` connects and migrates)."""
    for warning in settings.durable_warnings():
        event(log, "store.warning", logging.WARNING, problem=warning)
    database = Database(settings.durable_url)
    return Durable(database, SqlInbox(database), SqlSignals(database), SqlFollows(database),
                   SqlOutbox(database))  # fmt: skip
