"""Cluster tables (CLUSTER_ENABLED, cluster/): live nodes, instance leases with fencing tokens, and
every claim ever made (how a test proves no instance was owned twice)

Revision ID: 0011_cluster
Revises: 0010_perf_indexes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evolution_py.store.columns import KeyText, Stamp

revision: str = "0011_cluster"
down_revision: str | None = "0010_perf_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ClusterNode",
        sa.Column("id", KeyText, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("lastSeen", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ClusterLease",
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("nodeId", KeyText, nullable=True),
        # The fencing token: +1 at every claim, never reset (a release keeps the row).
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("expiresAt", Stamp, nullable=False),
        sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("instanceId"),
    )
    op.create_table(
        "ClusterClaim",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("instanceId", KeyText, nullable=False),
        sa.Column("nodeId", KeyText, nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("claimedAt", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", "token"),
    )


def downgrade() -> None:
    op.drop_table("ClusterClaim")
    op.drop_table("ClusterLease")
    op.drop_table("ClusterNode")
