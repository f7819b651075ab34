"""The Kafka table (upstream's `Kafka` model): one `{enabled, events}` row per instance."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from evolution_py.store.columns import KeyText
from evolution_py.store.models import Base, _EventSinkRow


class Kafka(_EventSinkRow, Base):
    __tablename__ = "Kafka"
    instanceId: Mapped[str] = mapped_column(
        KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), unique=True, nullable=False
    )
