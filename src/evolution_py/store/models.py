"""Tables, named and shaped as upstream's Prisma schema (quoted PascalCase tables, camelCase columns),
so that importing an existing Evolution API database stays a plain copy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from evolution_py.ids import uuid4_hex
from evolution_py.store.columns import JsonType as JsonType
from evolution_py.store.columns import KeyText, LongText, Real, Stamp


def utcnow() -> datetime:
    """Naive UTC, as Prisma stores `timestamp without time zone`."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    return uuid4_hex()


class Base(DeclarativeBase):
    pass


def _instance_fk() -> Mapped[str]:
    return mapped_column("instanceId", KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), nullable=False)


class Instance(Base):
    __tablename__ = "Instance"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    connectionStatus: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    ownerJid: Mapped[str | None] = mapped_column(String(100))
    profileName: Mapped[str | None] = mapped_column(String(100))
    profilePicUrl: Mapped[str | None] = mapped_column(String(500))
    integration: Mapped[str | None] = mapped_column(String(100))
    number: Mapped[str | None] = mapped_column(String(100))
    businessId: Mapped[str | None] = mapped_column(String(100))
    token: Mapped[str | None] = mapped_column(String(255))
    clientName: Mapped[str | None] = mapped_column(String(100))
    disconnectionReasonCode: Mapped[int | None] = mapped_column(Integer)
    disconnectionObject: Mapped[Any | None] = mapped_column(JsonType)
    disconnectionAt: Mapped[datetime | None] = mapped_column(Stamp)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("Instance_token_idx", "token"), Index("Instance_number_idx", "number"))


class Session(Base):
    __tablename__ = "Session"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    sessionId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    creds: Mapped[str | None] = mapped_column(LongText)
    createdAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow)


class Setting(Base):
    __tablename__ = "Setting"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    rejectCall: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    msgCall: Mapped[str | None] = mapped_column(String(100))
    groupsIgnore: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    alwaysOnline: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    readMessages: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    readStatus: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    syncFullHistory: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    wavoipToken: Mapped[str | None] = mapped_column(String(100))
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )


class Proxy(Base):
    __tablename__ = "Proxy"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    host: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    port: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    protocol: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    username: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    password: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )


class Webhook(Base):
    __tablename__ = "Webhook"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    headers: Mapped[Any | None] = mapped_column(JsonType)
    enabled: Mapped[bool | None] = mapped_column(Boolean, default=True)
    events: Mapped[Any | None] = mapped_column(JsonType)
    webhookByEvents: Mapped[bool | None] = mapped_column(Boolean, default=False)
    webhookBase64: Mapped[bool | None] = mapped_column(Boolean, default=False)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )


class _EventSinkRow:
    """Columns shared by Websocket, Rabbitmq, Nats, Sqs and Kafka rows."""

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    events: Mapped[Any] = mapped_column(JsonType, nullable=False, default=list)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)


class Websocket(_EventSinkRow, Base):
    __tablename__ = "Websocket"
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )


class Rabbitmq(_EventSinkRow, Base):
    __tablename__ = "Rabbitmq"
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )


class Nats(_EventSinkRow, Base):
    __tablename__ = "Nats"
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )


class Sqs(_EventSinkRow, Base):
    __tablename__ = "Sqs"
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )


class Chatwoot(Base):
    __tablename__ = "Chatwoot"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    enabled: Mapped[bool | None] = mapped_column(Boolean, default=True)
    accountId: Mapped[str | None] = mapped_column(String(100))
    token: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(500))
    nameInbox: Mapped[str | None] = mapped_column(String(100))
    signMsg: Mapped[bool | None] = mapped_column(Boolean, default=False)
    signDelimiter: Mapped[str | None] = mapped_column(String(100))
    number: Mapped[str | None] = mapped_column(String(100))
    reopenConversation: Mapped[bool | None] = mapped_column(Boolean, default=False)
    conversationPending: Mapped[bool | None] = mapped_column(Boolean, default=False)
    mergeBrazilContacts: Mapped[bool | None] = mapped_column(Boolean, default=False)
    importContacts: Mapped[bool | None] = mapped_column(Boolean, default=False)
    importMessages: Mapped[bool | None] = mapped_column(Boolean, default=False)
    daysLimitImportMessages: Mapped[int | None] = mapped_column(Integer)
    organization: Mapped[str | None] = mapped_column(String(100))
    logo: Mapped[str | None] = mapped_column(String(500))
    ignoreJids: Mapped[Any | None] = mapped_column(JsonType)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )


class Contact(Base):
    __tablename__ = "Contact"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    remoteJid: Mapped[str] = mapped_column(String(100), nullable=False)
    pushName: Mapped[str | None] = mapped_column(String(100))
    profilePicUrl: Mapped[str | None] = mapped_column(String(500))
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = _instance_fk()

    __table_args__ = (
        UniqueConstraint("remoteJid", "instanceId", name="Contact_remoteJid_instanceId_key"),
        Index("Contact_instanceId_idx", "instanceId"),
        Index("Contact_instanceId_updatedAt_idx", "instanceId", "updatedAt"),  # findContacts' order (0010)
    )


class Chat(Base):
    __tablename__ = "Chat"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    remoteJid: Mapped[str] = mapped_column(String(100), nullable=False)
    name: Mapped[str | None] = mapped_column(String(100))
    labels: Mapped[Any | None] = mapped_column(JsonType)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = _instance_fk()
    unreadMessages: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    # Upstream has no unique key here and ends up with duplicate chats; we keep one row per chat.
    __table_args__ = (
        UniqueConstraint("instanceId", "remoteJid", name="Chat_instanceId_remoteJid_key"),
        Index("Chat_remoteJid_idx", "remoteJid"),
    )


class Message(Base):
    __tablename__ = "Message"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    key: Mapped[Any] = mapped_column(JsonType, nullable=False)
    # Denormalised key fields so lookups by key id / chat use an index on both databases.
    keyId: Mapped[str | None] = mapped_column(String(100))
    remoteJid: Mapped[str | None] = mapped_column(String(100))
    fromMe: Mapped[bool | None] = mapped_column(Boolean)
    pushName: Mapped[str | None] = mapped_column(String(100))
    participant: Mapped[str | None] = mapped_column(String(100))
    messageType: Mapped[str] = mapped_column(String(100), nullable=False)
    message: Mapped[Any] = mapped_column(JsonType, nullable=False)
    contextInfo: Mapped[Any | None] = mapped_column(JsonType)
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="unknown")
    messageTimestamp: Mapped[int] = mapped_column(Integer, nullable=False)
    chatwootMessageId: Mapped[int | None] = mapped_column(Integer)
    chatwootInboxId: Mapped[int | None] = mapped_column(Integer)
    chatwootConversationId: Mapped[int | None] = mapped_column(Integer)
    chatwootContactInboxSourceId: Mapped[str | None] = mapped_column(String(100))
    chatwootIsRead: Mapped[bool | None] = mapped_column(Boolean)
    instanceId: Mapped[str] = _instance_fk()
    webhookUrl: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str | None] = mapped_column(String(30))
    sessionId: Mapped[str | None] = mapped_column(LongText)

    __table_args__ = (
        Index("Message_instanceId_idx", "instanceId"),
        Index("Message_instanceId_keyId_idx", "instanceId", "keyId"),
        Index("Message_instanceId_remoteJid_ts_idx", "instanceId", "remoteJid", "messageTimestamp"),
        Index("Message_instanceId_ts_idx", "instanceId", "messageTimestamp", "id"),  # findMessages' page (0010)
    )


class MessageUpdate(Base):
    __tablename__ = "MessageUpdate"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    keyId: Mapped[str] = mapped_column(String(100), nullable=False)
    remoteJid: Mapped[str] = mapped_column(String(100), nullable=False)
    fromMe: Mapped[bool] = mapped_column(Boolean, nullable=False)
    participant: Mapped[str | None] = mapped_column(String(100))
    pollUpdates: Mapped[Any | None] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(30), nullable=False)
    messageId: Mapped[str] = mapped_column(KeyText, ForeignKey("Message.id", ondelete="CASCADE"), nullable=False)
    instanceId: Mapped[str] = _instance_fk()

    __table_args__ = (
        Index("MessageUpdate_instanceId_idx", "instanceId"),
        Index("MessageUpdate_messageId_idx", "messageId"),
    )


class Label(Base):
    __tablename__ = "Label"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    labelId: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    color: Mapped[str] = mapped_column(String(100), nullable=False)
    predefinedId: Mapped[str | None] = mapped_column(String(100))
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = _instance_fk()

    __table_args__ = (UniqueConstraint("labelId", "instanceId", name="Label_labelId_instanceId_key"),)


class IsOnWhatsapp(Base):
    __tablename__ = "IsOnWhatsapp"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    remoteJid: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    jidOptions: Mapped[str] = mapped_column(LongText, nullable=False)
    lid: Mapped[str | None] = mapped_column(String(100))
    createdAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)


class InstanceLog(Base):
    """One entry of an instance's own log (connection changes, errors, admin actions), served by
    the Evolution Go dialect's `GET /instance/logs/:instanceId`; pruned by `instances/logbook.py`."""

    __tablename__ = "InstanceLog"

    # Integer ids autoincrement on both databases (a BigInteger primary key does not on SQLite).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instanceId: Mapped[str] = _instance_fk()
    timestamp: Mapped[datetime] = mapped_column(Stamp, default=utcnow, nullable=False)
    level: Mapped[str] = mapped_column(String(10), nullable=False)
    message: Mapped[str] = mapped_column(LongText, nullable=False)
    logMetadata: Mapped[Any | None] = mapped_column("metadata", JsonType)

    __table_args__ = (Index("InstanceLog_instanceId_timestamp_idx", "instanceId", "timestamp"),)


class EventDelivery(Base):
    """The event bus outbox: one row per planned delivery of one event to one sink target.

    No foreign key to Instance on purpose: `remove.instance` must still be delivered after the
    instance's rows are gone. A row is deleted once delivered; `status` is `pending` until then,
    or `dead` once it has used up its attempts (listed and replayed over `/events/...`).
    """

    __tablename__ = "EventDelivery"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    eventId: Mapped[str] = mapped_column(String(32), nullable=False)
    event: Mapped[str] = mapped_column(String(100), nullable=False)
    instanceId: Mapped[str] = mapped_column(KeyText, nullable=False)
    instanceName: Mapped[str] = mapped_column(String(255), nullable=False)
    sink: Mapped[str] = mapped_column(String(50), nullable=False)
    target: Mapped[str] = mapped_column(LongText, nullable=False)
    # The whole planned Delivery (event + sink options) as msgspec JSON: replayed byte for byte.
    payload: Mapped[str] = mapped_column(LongText, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    availableAt: Mapped[float] = mapped_column(Real, nullable=False)  # epoch seconds of the next attempt
    lastError: Mapped[str | None] = mapped_column(LongText)
    createdAt: Mapped[float] = mapped_column(Real, nullable=False)  # epoch seconds, also the resume order
    deadAt: Mapped[datetime | None] = mapped_column(Stamp)
    # Whose sink the delivery goes to: "instance" (a sink the instance's tenant configured; its token
    # sees and replays it) or "global" (the operator's: the global key alone). Rows from before the
    # column are the operator's.
    scope: Mapped[str] = mapped_column(String(10), nullable=False, server_default="global")

    __table_args__ = (
        Index("EventDelivery_status_sink_createdAt_idx", "status", "sink", "createdAt", "id"),
        Index("EventDelivery_instanceId_status_idx", "instanceId", "status"),
    )
