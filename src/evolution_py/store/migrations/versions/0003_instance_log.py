"""per-instance log (Evolution Go dialect `GET /instance/logs/:instanceId`)

Revision ID: 0003_instance_log
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evolution_py.store.columns import JsonType, KeyText, LongText, Stamp

revision: str = "0003_instance_log"
down_revision: str | None = "0002_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "InstanceLog",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("timestamp", Stamp, nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("message", LongText, nullable=False),
        sa.Column(
            "metadata",
            JsonType,
            nullable=True,
        ),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("InstanceLog", schema=None) as batch_op:
        batch_op.create_index("InstanceLog_instanceId_timestamp_idx", ["instanceId", "timestamp"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("InstanceLog", schema=None) as batch_op:
        batch_op.drop_index("InstanceLog_instanceId_timestamp_idx")
    op.drop_table("InstanceLog")
