"""outbox rows say whose sink they go to (EventDelivery.scope): a tenant sees only its own

Revision ID: 0004_outbox_scope
Revises: 0003_instance_log
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox_scope"
down_revision: str | None = "0003_instance_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows stored before the column are the operator's: nothing of a global sink leaks to a tenant.
    with op.batch_alter_table("EventDelivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=10), nullable=False, server_default="global"))


def downgrade() -> None:
    with op.batch_alter_table("EventDelivery", schema=None) as batch_op:
        batch_op.drop_column("scope")
