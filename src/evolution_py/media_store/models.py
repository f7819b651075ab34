"""The Media table (upstream's `Media` model): one stored file per message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from evolution_py.store.columns import KeyText, Stamp
from evolution_py.store.models import Base, new_id, utcnow


class Media(Base):
    __tablename__ = "Media"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    fileName: Mapped[str] = mapped_column(String(500), nullable=False)  # the object key below `evolution-api/`
    type: Mapped[str] = mapped_column(String(100), nullable=False)  # e.g. imageMessage
    mimetype: Mapped[str] = mapped_column(String(100), nullable=False)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    messageId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Message.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    instanceId: Mapped[str] = mapped_column(KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), nullable=False)
