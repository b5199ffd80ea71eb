"""Follows and their outbox: notifications, folded changes, snoozes, pacing, digests.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAY_BE_DUE = "status IN ('pending', 'sending') OR needs_update"


def _follow_id(table: str) -> list[SchemaItem]:
    """The follow_id column and its cascading foreign key."""
    return [
        sa.Column("follow_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["follow_id"], ["follows.id"], name=f"fk_{table}_follow_id", ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    _follows()
    _notifications()
    op.create_table(
        "notified_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        *_follow_id("notified_events"),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notified_events"),
        sa.UniqueConstraint("follow_id", "event_key", name="uq_notified_events_follow_id"),
    )
    op.create_index("ix_notified_events_at", "notified_events", ["at"])
    _channels()
    _digests()
    op.create_table(
        "health_baselines",
        sa.Column("display_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("display_id", name="pk_health_baselines"),
    )


def _follows() -> None:
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("target_key", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("digest_hour", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("last_notified_at", sa.Double(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_follows"),
        sa.UniqueConstraint("target_key", "channel_id", name="uq_follows_target_key"),
    )
    op.create_index("ix_follows_channel_id", "follows", ["channel_id"])
    op.create_index("ix_follows_user_id", "follows", ["user_id"])


def _notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        *_follow_id("notifications"),
        sa.Column("channel_id", sa.Text(), nullable=False),
        sa.Column("display_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Text(), nullable=False),
        sa.Column("notices", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.Double(), nullable=False),
        sa.Column("next_attempt_at", sa.Double(), nullable=False),
        sa.Column("lease_until", sa.Double(), nullable=True),
        sa.Column("claimed_at", sa.Double(), nullable=True),
        sa.Column("ts", sa.Text(), nullable=True),
        sa.Column("thread_ts", sa.Text(), nullable=True),
        sa.Column("broadcast", sa.Boolean(), nullable=False),
        sa.Column("needs_update", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("claimed_revision", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    due = sa.text(MAY_BE_DUE)
    op.create_index(
        "ix_notifications_due",
        "notifications",
        ["next_attempt_at"],
        postgresql_where=due,
        sqlite_where=due,
    )
    op.create_index(
        "ix_notifications_follow_id",
        "notifications",
        ["follow_id", "display_id", "first_at"],
    )
    op.create_index(
        "ix_notifications_channel_id", "notifications", ["channel_id", "display_id", "day"]
    )
    op.create_index("ix_notifications_first_at", "notifications", ["first_at"])


def _channels() -> None:
    op.create_table(
        "snoozes",
        sa.Column("channel_id", sa.Text(), nullable=False),
        sa.Column("display_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("until", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "display_id", name="pk_snoozes"),
    )
    op.create_table(
        "channel_pace",
        sa.Column("channel_id", sa.Text(), nullable=False),
        sa.Column("next_allowed_at", sa.Double(), nullable=False),
        sa.Column("held_until", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name="pk_channel_pace"),
    )
    op.create_table(
        "own_writes",
        sa.Column("display_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.Text(), nullable=False),
        sa.Column("until", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("display_id", "channel_id", name="pk_own_writes"),
    )


def _digests() -> None:
    op.create_table(
        "digest_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        *_follow_id("digest_items"),
        sa.Column("day", sa.Text(), nullable=False),
        sa.Column("display_id", sa.BigInteger(), nullable=False),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("notices", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_items"),
        sa.UniqueConstraint("follow_id", "event_key", name="uq_digest_items_follow_id"),
    )
    op.create_index("ix_digest_items_day", "digest_items", ["day"])
    op.create_table(
        "digest_runs",
        *_follow_id("digest_runs"),
        sa.Column("day", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("follow_id", "day", name="pk_digest_runs"),
    )


def downgrade() -> None:
    for table in (
        "digest_runs",
        "digest_items",
        "own_writes",
        "channel_pace",
        "snoozes",
        "notified_events",
        "notifications",
        "health_baselines",
        "follows",
    ):
        op.drop_table(table)  # their indexes go with them
