"""event bus outbox (EventDelivery)

Revision ID: 0002_outbox
Revises: 0001
Create Date: 2026-11-23 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evolution_py.store.columns import KeyText, LongText, Real, Stamp

revision: str = "0002_outbox"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "EventDelivery",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("eventId", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=100), nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("instanceName", sa.String(length=255), nullable=False),
        sa.Column("sink", sa.String(length=50), nullable=False),
        sa.Column("target", LongText, nullable=False),
        sa.Column("payload", LongText, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("availableAt", Real, nullable=False),
        sa.Column("lastError", LongText, nullable=True),
        sa.Column("createdAt", Real, nullable=False),
        sa.Column("deadAt", Stamp, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("EventDelivery", schema=None) as batch_op:
        batch_op.create_index(
            "EventDelivery_status_sink_createdAt_idx", ["status", "sink", "createdAt", "id"], unique=False
        )
        batch_op.create_index("EventDelivery_instanceId_status_idx", ["instanceId", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("EventDelivery", schema=None) as batch_op:
        batch_op.drop_index("EventDelivery_instanceId_status_idx")
        batch_op.drop_index("EventDelivery_status_sink_createdAt_idx")
    op.drop_table("EventDelivery")
