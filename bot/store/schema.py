"""The durable tables, as SQLAlchemy Core; the migrations in bot/store/migrations build them.

Times are epoch seconds (UTC) in double-precision columns: the same numbers on SQLite and
PostgreSQL, compared directly with the injected clock, and exact to the microsecond.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("received_at", Double, nullable=False),
    Column("lease_until", Double, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("done_at", Double, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("event_id"),
)
# Claiming reads only rows not done (a few, however many done ones are kept for dedupe).
Index(
    "ix_webhook_inbox_undone",
    webhook_inbox.c.lease_until,
    postgresql_where=webhook_inbox.c.done_at.is_(None),
    sqlite_where=webhook_inbox.c.done_at.is_(None),
)
Index("ix_webhook_inbox_received_at", webhook_inbox.c.received_at)

customer_signals = Table(
    "customer_signals",
    metadata,
    Column("display_id", BigInteger, primary_key=True, autoincrement=False),
    Column("signals", Text, nullable=True),  # Signals as JSON; NULL when none were told
    Column("last_event_at", Double, nullable=False),
)
Index("ix_customer_signals_last_event_at", customer_signals.c.last_event_at)

# The key (display_id, at) is the history's index and makes a replayed event a no-op.
health_scores = Table(
    "health_scores",
    metadata,
    Column("display_id", BigInteger, primary_key=True, autoincrement=False),
    Column("at", Double, primary_key=True),
    Column("score", Integer, nullable=False),
)
