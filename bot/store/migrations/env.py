"""Alembic's environment: migrate on the connection bot.store.database hands over.

There is no alembic.ini and no engine here: `Database.migrate()` builds the config in
code and passes an open connection in `config.attributes["connection"]`, so migrations run
inside the bot's own event loop (through `AsyncConnection.run_sync`).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.schema import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("migrations run through bot.store.database.Database.migrate()")
    run_migrations(connection)


main()
