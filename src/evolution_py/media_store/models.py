"""The Media table (upstream's `Media` model): one stored file per message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evolution_py.store.models import Base, new_id, utcnow


class Media(Base):
    __tablename__ = "Media"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_id)
    fileName: Mapped[str] = mapped_column(String(500), nullable=False)  # the object key below `evolution-api/`
    type: Mapped[str] = mapped_column(String(100), nullable=False)  # e.g. imageMessage
    mimetype: Mapped[str] = mapped_column(String(100), nullable=False)
    createdAt: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)
    messageId: Mapped[str] = mapped_column(
        Text, ForeignKey("Message.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    instanceId: Mapped[str] = mapped_column(Text, ForeignKey("Instance.id", ondelete="CASCADE"), nullable=False)
