"""The Cloud API channel's own table: `Template` (upstream's Prisma model), on the shared `Base`.

Differences kept on purpose (docs/compatibility.md): `name` is not unique across the server (Meta
has one template per name and language, and another tenant's name must not block yours); it is
indexed per instance instead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from evolution_py.store.columns import JsonType, KeyText, Stamp
from evolution_py.store.models import Base, new_id, utcnow


class Template(Base):
    __tablename__ = "Template"

    id: Mapped[str] = mapped_column(KeyText, primary_key=True, default=new_id)
    templateId: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    template: Mapped[Any] = mapped_column(JsonType, nullable=False)
    webhookUrl: Mapped[str | None] = mapped_column(String(500))
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = mapped_column(
        "instanceId", KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), nullable=False
    )

    __table_args__ = (Index("Template_instanceId_name_idx", "instanceId", "name"),)
