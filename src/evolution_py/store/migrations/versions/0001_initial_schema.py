"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:49:55.650794
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evolution_py.store.columns import JsonType, KeyText, LongText, Stamp

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "Instance",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("connectionStatus", sa.String(length=20), nullable=False),
        sa.Column("ownerJid", sa.String(length=100), nullable=True),
        sa.Column("profileName", sa.String(length=100), nullable=True),
        sa.Column("profilePicUrl", sa.String(length=500), nullable=True),
        sa.Column("integration", sa.String(length=100), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("businessId", sa.String(length=100), nullable=True),
        sa.Column("token", sa.String(length=255), nullable=True),
        sa.Column("clientName", sa.String(length=100), nullable=True),
        sa.Column("disconnectionReasonCode", sa.Integer(), nullable=True),
        sa.Column(
            "disconnectionObject",
            JsonType,
            nullable=True,
        ),
        sa.Column("disconnectionAt", Stamp, nullable=True),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="Instance_name_key"),
    )
    with op.batch_alter_table("Instance", schema=None) as batch_op:
        batch_op.create_index("Instance_number_idx", ["number"], unique=False)
        batch_op.create_index("Instance_token_idx", ["token"], unique=False)

    op.create_table(
        "IsOnWhatsapp",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("remoteJid", sa.String(length=100), nullable=False),
        sa.Column("jidOptions", LongText, nullable=False),
        sa.Column("lid", sa.String(length=100), nullable=True),
        sa.Column("createdAt", Stamp, nullable=False),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("remoteJid", name="IsOnWhatsapp_remoteJid_key"),
    )
    op.create_table(
        "Chat",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("remoteJid", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column(
            "labels",
            JsonType,
            nullable=True,
        ),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=True),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("unreadMessages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", "remoteJid", name="Chat_instanceId_remoteJid_key"),
    )
    with op.batch_alter_table("Chat", schema=None) as batch_op:
        batch_op.create_index("Chat_remoteJid_idx", ["remoteJid"], unique=False)

    op.create_table(
        "Chatwoot",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("accountId", sa.String(length=100), nullable=True),
        sa.Column("token", sa.String(length=100), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("nameInbox", sa.String(length=100), nullable=True),
        sa.Column("signMsg", sa.Boolean(), nullable=True),
        sa.Column("signDelimiter", sa.String(length=100), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("reopenConversation", sa.Boolean(), nullable=True),
        sa.Column("conversationPending", sa.Boolean(), nullable=True),
        sa.Column("mergeBrazilContacts", sa.Boolean(), nullable=True),
        sa.Column("importContacts", sa.Boolean(), nullable=True),
        sa.Column("importMessages", sa.Boolean(), nullable=True),
        sa.Column("daysLimitImportMessages", sa.Integer(), nullable=True),
        sa.Column("organization", sa.String(length=100), nullable=True),
        sa.Column("logo", sa.String(length=500), nullable=True),
        sa.Column(
            "ignoreJids",
            JsonType,
            nullable=True,
        ),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", name="Chatwoot_instanceId_key"),
    )
    op.create_table(
        "Contact",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("remoteJid", sa.String(length=100), nullable=False),
        sa.Column("pushName", sa.String(length=100), nullable=True),
        sa.Column("profilePicUrl", sa.String(length=500), nullable=True),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=True),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("remoteJid", "instanceId", name="Contact_remoteJid_instanceId_key"),
    )
    with op.batch_alter_table("Contact", schema=None) as batch_op:
        batch_op.create_index("Contact_instanceId_idx", ["instanceId"], unique=False)

    op.create_table(
        "Label",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("labelId", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("color", sa.String(length=100), nullable=False),
        sa.Column("predefinedId", sa.String(length=100), nullable=True),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("labelId", "instanceId", name="Label_labelId_instanceId_key"),
    )
    op.create_table(
        "Message",
        sa.Column("id", KeyText, nullable=False),
        sa.Column(
            "key",
            JsonType,
            nullable=False,
        ),
        sa.Column("keyId", sa.String(length=100), nullable=True),
        sa.Column("remoteJid", sa.String(length=100), nullable=True),
        sa.Column("fromMe", sa.Boolean(), nullable=True),
        sa.Column("pushName", sa.String(length=100), nullable=True),
        sa.Column("participant", sa.String(length=100), nullable=True),
        sa.Column("messageType", sa.String(length=100), nullable=False),
        sa.Column(
            "message",
            JsonType,
            nullable=False,
        ),
        sa.Column(
            "contextInfo",
            JsonType,
            nullable=True,
        ),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("messageTimestamp", sa.Integer(), nullable=False),
        sa.Column("chatwootMessageId", sa.Integer(), nullable=True),
        sa.Column("chatwootInboxId", sa.Integer(), nullable=True),
        sa.Column("chatwootConversationId", sa.Integer(), nullable=True),
        sa.Column("chatwootContactInboxSourceId", sa.String(length=100), nullable=True),
        sa.Column("chatwootIsRead", sa.Boolean(), nullable=True),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("webhookUrl", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=True),
        sa.Column("sessionId", LongText, nullable=True),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("Message", schema=None) as batch_op:
        batch_op.create_index("Message_instanceId_idx", ["instanceId"], unique=False)
        batch_op.create_index("Message_instanceId_keyId_idx", ["instanceId", "keyId"], unique=False)
        batch_op.create_index(
            "Message_instanceId_remoteJid_ts_idx",
            ["instanceId", "remoteJid", "messageTimestamp"],
            unique=False,
        )

    op.create_table(
        "Nats",
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("id", KeyText, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "events",
            JsonType,
            nullable=False,
        ),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", name="Nats_instanceId_key"),
    )
    op.create_table(
        "Proxy",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("port", sa.String(length=100), nullable=False),
        sa.Column("protocol", sa.String(length=100), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password", sa.String(length=100), nullable=False),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", name="Proxy_instanceId_key"),
    )
    op.create_table(
        "Rabbitmq",
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("id", KeyText, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "events",
            JsonType,
            nullable=False,
        ),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", name="Rabbitmq_instanceId_key"),
    )
    op.create_table(
        "Session",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("sessionId", KeyText, nullable=False),
        sa.Column("creds", LongText, nullable=True),
        sa.Column("createdAt", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["sessionId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sessionId", name="Session_sessionId_key"),
    )
    op.create_table(
        "Setting",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("rejectCall", sa.Boolean(), nullable=False),
        sa.Column("msgCall", sa.String(length=100), nullable=True),
        sa.Column("groupsIgnore", sa.Boolean(), nullable=False),
        sa.Column("alwaysOnline", sa.Boolean(), nullable=False),
        sa.Column("readMessages", sa.Boolean(), nullable=False),
        sa.Column("readStatus", sa.Boolean(), nullable=False),
        sa.Column("syncFullHistory", sa.Boolean(), nullable=False),
        sa.Column("wavoipToken", sa.String(length=100), nullable=True),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", name="Setting_instanceId_key"),
    )
    op.create_table(
        "Sqs",
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("id", KeyText, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "events",
            JsonType,
            nullable=False,
        ),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", name="Sqs_instanceId_key"),
    )
    op.create_table(
        "Webhook",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column(
            "headers",
            JsonType,
            nullable=True,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column(
            "events",
            JsonType,
            nullable=True,
        ),
        sa.Column("webhookByEvents", sa.Boolean(), nullable=True),
        sa.Column("webhookBase64", sa.Boolean(), nullable=True),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", name="Webhook_instanceId_key"),
    )
    op.create_table(
        "Websocket",
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("id", KeyText, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "events",
            JsonType,
            nullable=False,
        ),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", name="Websocket_instanceId_key"),
    )
    op.create_table(
        "MessageUpdate",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("keyId", sa.String(length=100), nullable=False),
        sa.Column("remoteJid", sa.String(length=100), nullable=False),
        sa.Column("fromMe", sa.Boolean(), nullable=False),
        sa.Column("participant", sa.String(length=100), nullable=True),
        sa.Column(
            "pollUpdates",
            JsonType,
            nullable=True,
        ),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("messageId", KeyText, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["messageId"], ["Message.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("MessageUpdate", schema=None) as batch_op:
        batch_op.create_index("MessageUpdate_instanceId_idx", ["instanceId"], unique=False)
        batch_op.create_index("MessageUpdate_messageId_idx", ["messageId"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("MessageUpdate", schema=None) as batch_op:
        batch_op.drop_index("MessageUpdate_messageId_idx")
        batch_op.drop_index("MessageUpdate_instanceId_idx")

    op.drop_table("MessageUpdate")
    op.drop_table("Websocket")
    op.drop_table("Webhook")
    op.drop_table("Sqs")
    op.drop_table("Setting")
    op.drop_table("Session")
    op.drop_table("Rabbitmq")
    op.drop_table("Proxy")
    op.drop_table("Nats")
    with op.batch_alter_table("Message", schema=None) as batch_op:
        batch_op.drop_index("Message_instanceId_remoteJid_ts_idx")
        batch_op.drop_index("Message_instanceId_keyId_idx")
        batch_op.drop_index("Message_instanceId_idx")

    op.drop_table("Message")
    op.drop_table("Label")
    with op.batch_alter_table("Contact", schema=None) as batch_op:
        batch_op.drop_index("Contact_instanceId_idx")

    op.drop_table("Contact")
    op.drop_table("Chatwoot")
    with op.batch_alter_table("Chat", schema=None) as batch_op:
        batch_op.drop_index("Chat_remoteJid_idx")

    op.drop_table("Chat")
    op.drop_table("IsOnWhatsapp")
    with op.batch_alter_table("Instance", schema=None) as batch_op:
        batch_op.drop_index("Instance_token_idx")
        batch_op.drop_index("Instance_number_idx")

    op.drop_table("Instance")
