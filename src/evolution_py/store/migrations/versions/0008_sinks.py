"""Kafka and Pusher sink rows, and the Media table of S3 / MinIO storage (upstream's models)

Revision ID: 0008_sinks
Revises: 0007_cloud_api
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evolution_py.store.columns import JsonType, KeyText, Stamp

revision: str = "0008_sinks"
down_revision: str | None = "0007_cloud_api"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = JsonType


def _sink_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", KeyText, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "Kafka",
        *_sink_columns(),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId"),
    )
    op.create_table(
        "Pusher",
        *_sink_columns(),
        sa.Column("appId", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("cluster", sa.String(length=100), nullable=False),
        sa.Column("useTLS", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId"),
    )
    op.create_table(
        "Media",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("fileName", sa.String(length=500), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("mimetype", sa.String(length=100), nullable=False),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("messageId", KeyText, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.ForeignKeyConstraint(["messageId"], ["Message.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("messageId"),
    )
    with op.batch_alter_table("Media", schema=None) as batch_op:
        batch_op.create_index("Media_instanceId_idx", ["instanceId"], unique=False)


def downgrade() -> None:
    # The table takes its index with it (MySQL refuses to drop an index a foreign key needs).
    op.drop_table("Media")
    op.drop_table("Pusher")
    op.drop_table("Kafka")
