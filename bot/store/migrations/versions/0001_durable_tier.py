"""The durable tier: webhook inbox, customer signals and health history.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_inbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.Double(), nullable=False),
        sa.Column("lease_until", sa.Double(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.Double(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_inbox"),
        sa.UniqueConstraint("event_id", name="uq_webhook_inbox_event_id"),
    )
    undone = sa.text("done_at IS NULL")
    op.create_index(
        "ix_webhook_inbox_undone",
        "webhook_inbox",
        ["lease_until"],
        postgresql_where=undone,
        sqlite_where=undone,
    )
    op.create_index("ix_webhook_inbox_received_at", "webhook_inbox", ["received_at"])
    op.create_table(
        "customer_signals",
        sa.Column("display_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("signals", sa.Text(), nullable=True),
        sa.Column("last_event_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("display_id", name="pk_customer_signals"),
    )
    op.create_index("ix_customer_signals_last_event_at", "customer_signals", ["last_event_at"])
    op.create_table(
        "health_scores",
        sa.Column("display_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("display_id", "at", name="pk_health_scores"),
    )


def downgrade() -> None:
    op.drop_table("health_scores")
    op.drop_index("ix_customer_signals_last_event_at", table_name="customer_signals")
    op.drop_table("customer_signals")
    op.drop_index("ix_webhook_inbox_received_at", table_name="webhook_inbox")
    op.drop_index("ix_webhook_inbox_undone", table_name="webhook_inbox")
    op.drop_table("webhook_inbox")
