"""Chatwoot's own table: the mirror ledger, one row per WhatsApp message id of an instance.

The unique (instance, WhatsApp id) key is what makes "never a duplicate" hold across retries,
restarts and concurrent deliveries: a message is claimed here before it is sent to Chatwoot, and
a claim that exists is never sent again blindly (see `ledger.py`). Agent messages sent from
Chatwoot are written here too, so their own `send.message` echo is recognised and not mirrored back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evolution_py.store.columns import KeyText, Stamp
from evolution_py.store.models import Base, new_id, utcnow


class ChatwootMirror(Base):
    __tablename__ = "ChatwootMirror"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    instanceId: Mapped[str] = mapped_column(KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), nullable=False)
    waMessageId: Mapped[str] = mapped_column(String(128), nullable=False)
    remoteJid: Mapped[str] = mapped_column(String(128), nullable=False)
    fromMe: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # "claimed": being sent now (or a send died midway); "sent": Chatwoot has it; "agent": it came from Chatwoot
    state: Mapped[str] = mapped_column(String(10), nullable=False, default="claimed")
    chatwootMessageId: Mapped[int | None] = mapped_column(Integer)
    chatwootConversationId: Mapped[int | None] = mapped_column(Integer)
    chatwootSourceId: Mapped[str | None] = mapped_column(String(128))  # the contact_inbox source id (read receipts)
    read: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    claimedAt: Mapped[datetime] = mapped_column(Stamp, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("instanceId", "waMessageId", name="ChatwootMirror_instanceId_waMessageId_key"),
        Index("ChatwootMirror_instanceId_chatwootMessageId_idx", "instanceId", "chatwootMessageId"),
    )
