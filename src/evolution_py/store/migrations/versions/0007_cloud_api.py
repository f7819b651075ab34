"""the Meta Cloud API channel's Template table (channels/cloud_api/models.py)

Revision ID: 0007_cloud_api
Revises: 0004_outbox_scope
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evolution_py.store.columns import JsonType, KeyText, Stamp

revision: str = "0007_cloud_api"
down_revision: str | None = "0006_chatwoot"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "Template",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("templateId", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("template", JsonType, nullable=False),
        sa.Column("webhookUrl", sa.String(length=500), nullable=True),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("templateId"),
    )
    op.create_index("Template_instanceId_name_idx", "Template", ["instanceId", "name"], unique=False)


def downgrade() -> None:
    # The table takes its index with it (MySQL refuses to drop an index a foreign key needs).
    op.drop_table("Template")
