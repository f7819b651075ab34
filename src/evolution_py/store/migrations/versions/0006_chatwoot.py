"""ChatwootMirror: one row per mirrored WhatsApp message id (Chatwoot never gets a message twice)

Revision ID: 0006_chatwoot
Revises: 0004_outbox_scope
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evolution_py.store.columns import KeyText, Stamp

revision: str = "0006_chatwoot"
down_revision: str | None = "0004_outbox_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ChatwootMirror",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("waMessageId", sa.String(length=128), nullable=False),
        sa.Column("remoteJid", sa.String(length=128), nullable=False),
        sa.Column("fromMe", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("chatwootMessageId", sa.Integer(), nullable=True),
        sa.Column("chatwootConversationId", sa.Integer(), nullable=True),
        sa.Column("chatwootSourceId", sa.String(length=128), nullable=True),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("claimedAt", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", "waMessageId", name="ChatwootMirror_instanceId_waMessageId_key"),
    )
    op.create_index(
        "ChatwootMirror_instanceId_chatwootMessageId_idx", "ChatwootMirror", ["instanceId", "chatwootMessageId"]
    )


def downgrade() -> None:
    # The table takes its index with it (MySQL refuses to drop an index a foreign key needs).
    op.drop_table("ChatwootMirror")
