"""perf indexes: findMessages' newest-first page and findContacts' order, served by an index

`/chat/findMessages` without a chat filter orders an instance's messages by messageTimestamp (then
id): the existing (instanceId, remoteJid, messageTimestamp) index cannot give that order, so every
page sorted all of the instance's messages. `/chat/findContacts` orders by updatedAt the same way.

Revision ID: 0010_perf_indexes
Revises: 0009_chatbots
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_perf_indexes"
down_revision: str | None = "0009_chatbots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("Message_instanceId_ts_idx", "Message", ["instanceId", "messageTimestamp", "id"], unique=False)
    op.create_index("Contact_instanceId_updatedAt_idx", "Contact", ["instanceId", "updatedAt"], unique=False)


def downgrade() -> None:
    # The foreign keys on instanceId keep their own single-column indexes (Message_instanceId_idx,
    # Contact_instanceId_idx), so MySQL lets these two go.
    op.drop_index("Contact_instanceId_updatedAt_idx", table_name="Contact")
    op.drop_index("Message_instanceId_ts_idx", table_name="Message")
