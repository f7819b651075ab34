"""The Pusher table (upstream's `Pusher` model): per-instance app credentials and events."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from evolution_py.store.columns import KeyText
from evolution_py.store.models import Base, _EventSinkRow


class Pusher(_EventSinkRow, Base):
    __tablename__ = "Pusher"
    appId: Mapped[str] = mapped_column(String(100), nullable=False)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    secret: Mapped[str] = mapped_column(String(100), nullable=False)
    cluster: Mapped[str] = mapped_column(String(100), nullable=False)
    useTLS: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )
