"""The cluster's tables (migration 0011_cluster) on the shared metadata; cluster/leases.py writes
them with PostgreSQL's own SQL (ON CONFLICT ... WHERE, unnest), these classes only declare them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evolution_py.store.columns import KeyText, Stamp
from evolution_py.store.models import Base


class ClusterNode(Base):
    __tablename__ = "ClusterNode"
    id: Mapped[str] = mapped_column(KeyText, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    lastSeen: Mapped[datetime] = mapped_column(Stamp)


class ClusterLease(Base):
    __tablename__ = "ClusterLease"
    instanceId: Mapped[str] = mapped_column(KeyText, ForeignKey("Instance.id", ondelete="CASCADE"), primary_key=True)
    nodeId: Mapped[str | None] = mapped_column(KeyText, nullable=True)
    token: Mapped[int] = mapped_column(BigInteger)  # the fencing token: +1 at every claim
    expiresAt: Mapped[datetime] = mapped_column(Stamp)


class ClusterClaim(Base):
    __tablename__ = "ClusterClaim"
    __table_args__ = (UniqueConstraint("instanceId", "token"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    instanceId: Mapped[str] = mapped_column(KeyText)
    nodeId: Mapped[str] = mapped_column(KeyText)
    token: Mapped[int] = mapped_column(BigInteger)
    claimedAt: Mapped[datetime] = mapped_column(Stamp)
