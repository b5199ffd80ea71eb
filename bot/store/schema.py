"""The durable tables, as SQLAlchemy Core; the migrations in bot/store/migrations build them.

Times are epoch seconds (UTC) in double-precision columns: the same numbers on SQLite and
PostgreSQL, compared directly with the injected clock, and exact to the microsecond.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
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

# Follows: one per (target, destination channel); kinds are a sorted comma text.
follows = Table(
    "follows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target_key", Text, nullable=False),  # Target.key: customer:42, segment:<filter>
    Column("channel_id", Text, nullable=False),
    Column("user_id", Text, nullable=True),  # set for a personal follow (channel is the DM)
    Column("created_by", Text, nullable=False),
    Column("kinds", Text, nullable=False),
    Column("digest", Boolean, nullable=False),
    Column("digest_hour", Integer, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("team_id", Text, nullable=True),
    Column("created_at", Double, nullable=False),
    Column("paused_reason", Text, nullable=True),
    Column("last_notified_at", Double, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("target_key", "channel_id"),
)
Index("ix_follows_channel_id", follows.c.channel_id)
Index("ix_follows_user_id", follows.c.user_id)


def _follow_id(table: str) -> Column[int]:
    """A row's follow; the row goes when its follow does."""
    fk = ForeignKey("follows.id", ondelete="CASCADE", name=f"fk_{table}_follow_id")
    return Column("follow_id", Integer, fk, nullable=False)


# The outbox: one row per Slack message a follow owes. `revision` counts folds and
# `claimed_revision` is the one a sender took, so a fold during a send is not lost.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _follow_id("notifications"),
    Column("channel_id", Text, nullable=False),
    Column("display_id", BigInteger, nullable=False),
    Column("day", Text, nullable=False),  # UTC date of first_at: one thread per day
    Column("notices", Text, nullable=False),  # JSON list of {kind, before, after}
    Column("status", Text, nullable=False),  # pending, sending, sent, failed
    Column("attempts", Integer, nullable=False),
    Column("first_at", Double, nullable=False),
    Column("next_attempt_at", Double, nullable=False),  # due time; the lease's end when sending
    Column("lease_until", Double, nullable=True),
    Column("claimed_at", Double, nullable=True),
    Column("ts", Text, nullable=True),
    Column("thread_ts", Text, nullable=True),
    Column("broadcast", Boolean, nullable=False),
    Column("needs_update", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("claimed_revision", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
)
# Claiming reads only rows that may be due (a few, however many sent ones are kept).
NOTIFICATION_MAY_BE_DUE = "status IN ('pending', 'sending') OR needs_update"
Index(
    "ix_notifications_due",
    notifications.c.next_attempt_at,
    postgresql_where=text(NOTIFICATION_MAY_BE_DUE),
    sqlite_where=text(NOTIFICATION_MAY_BE_DUE),
)
Index(
    "ix_notifications_follow_id",
    notifications.c.follow_id,
    notifications.c.display_id,
    notifications.c.first_at,
)
Index(
    "ix_notifications_channel_id",
    notifications.c.channel_id,
    notifications.c.display_id,
    notifications.c.day,
)
Index("ix_notifications_first_at", notifications.c.first_at)

# A change is folded once per follow: the key is how redeliveries and replicas agree.
notified_events = Table(
    "notified_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _follow_id("notified_events"),
    Column("event_key", Text, nullable=False),
    Column("at", Double, nullable=False),
    UniqueConstraint("follow_id", "event_key"),
)
Index("ix_notified_events_at", notified_events.c.at)

snoozes = Table(
    "snoozes",
    metadata,
    Column("channel_id", Text, nullable=False),
    Column("display_id", BigInteger, nullable=False, autoincrement=False),
    Column("until", Double, nullable=False),
    PrimaryKeyConstraint("channel_id", "display_id"),
)

# Per-channel pacing: the next free turn, and a hold after Slack's `ratelimited`.
channel_pace = Table(
    "channel_pace",
    metadata,
    Column("channel_id", Text, primary_key=True),
    Column("next_allowed_at", Double, nullable=False),
    Column("held_until", Double, nullable=False),
)

digest_items = Table(
    "digest_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _follow_id("digest_items"),
    Column("day", Text, nullable=False),
    Column("display_id", BigInteger, nullable=False),
    Column("event_key", Text, nullable=False),
    Column("notices", Text, nullable=False),  # JSON, as in notifications
    UniqueConstraint("follow_id", "event_key"),
)
Index("ix_digest_items_day", digest_items.c.day)

# A day's digest is taken once: the row is the claim.
digest_runs = Table(
    "digest_runs",
    metadata,
    _follow_id("digest_runs"),
    Column("day", Text, nullable=False),
    PrimaryKeyConstraint("follow_id", "day"),
)

health_baselines = Table(
    "health_baselines",
    metadata,
    Column("display_id", BigInteger, primary_key=True, autoincrement=False),
    Column("score", Integer, nullable=False),
)

# A channel's own change of a customer through the bot: its follows stay quiet until `until`.
own_writes = Table(
    "own_writes",
    metadata,
    Column("display_id", BigInteger, nullable=False, autoincrement=False),
    Column("channel_id", Text, nullable=False),
    Column("until", Double, nullable=False),
    PrimaryKeyConstraint("display_id", "channel_id"),
)
