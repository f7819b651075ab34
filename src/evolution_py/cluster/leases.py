"""The cluster's rows in PostgreSQL: node heartbeats, instance leases with fencing tokens, and the
claim history. Every time is the database's clock (`now_utc`), so the nodes' clocks may drift.

A lease is owned by (nodeId, token). A claim succeeds only on a free or expired lease and adds 1 to
the token; a renew or a release is a conditional UPDATE on (nodeId, token), so an owner whose lease
was taken over (it paused, its network split) learns it at its next renew, and stops. Until then its
writes are refused by the outbox writer's fencing check (cluster/fence.py), in their own transaction."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from evolution_py.store.db import Database

NOW = "(now() AT TIME ZONE 'UTC')"


class NodeRow(msgspec.Struct, frozen=True):
    id: str
    url: str
    last_seen: datetime


class LeaseRow(msgspec.Struct, frozen=True):
    instance_id: str
    node_id: str | None
    token: int
    expired: bool


class LeaseStore:
    def __init__(self, db: Database, node_id: str, url: str, lease_seconds: float) -> None:
        self.db = db
        self.node_id = node_id
        self.url = url
        self.lease = lease_seconds

    async def heartbeat(self) -> None:
        async with self.db.transaction() as s:
            await s.execute(
                text(
                    f'INSERT INTO "ClusterNode" (id, url, "lastSeen") VALUES (:id, :url, {NOW}) '
                    f'ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, "lastSeen" = EXCLUDED."lastSeen"'
                ),
                {"id": self.node_id, "url": self.url},
            )

    async def leave(self) -> None:
        async with self.db.transaction() as s:
            await s.execute(text('DELETE FROM "ClusterNode" WHERE id = :id'), {"id": self.node_id})

    async def live_nodes(self) -> list[NodeRow]:
        async with self.db.session() as s:
            rows = await s.execute(
                text(
                    f'SELECT id, url, "lastSeen" FROM "ClusterNode" '
                    f'WHERE "lastSeen" > {NOW} - make_interval(secs => :lease) ORDER BY id'
                ),
                {"lease": self.lease},
            )
            return [NodeRow(r[0], r[1], r[2]) for r in rows]

    async def instances(self, client_name: str) -> dict[str, tuple[str, str | None]]:
        """Every instance of this client: id → (name, token)."""
        async with self.db.session() as s:
            rows = await s.execute(
                text('SELECT id, name, token FROM "Instance" WHERE "clientName" = :c'), {"c": client_name}
            )
            return {r[0]: (r[1], r[2]) for r in rows}

    async def leases(self) -> dict[str, LeaseRow]:
        async with self.db.session() as s:
            rows = await s.execute(
                text(f'SELECT "instanceId", "nodeId", token, "expiresAt" < {NOW} FROM "ClusterLease"')
            )
            return {r[0]: LeaseRow(r[0], r[1], int(r[2]), bool(r[3])) for r in rows}

    async def claim(self, instance_id: str) -> int | None:
        """Take the lease if it is free or expired: the new fencing token, or None."""
        return await self._claim_with(
            instance_id,
            'ON CONFLICT ("instanceId") DO UPDATE SET "nodeId" = EXCLUDED."nodeId", '
            'token = "ClusterLease".token + 1, "expiresAt" = EXCLUDED."expiresAt" '
            f'WHERE "ClusterLease"."expiresAt" < {NOW} OR "ClusterLease"."nodeId" IS NULL',
        )

    async def claim_new(self, instance_id: str) -> int | None:
        """Take the lease of an instance that never had one (created through this node's API a moment
        ago): token 1, or None when any lease row exists already (then the tick's `claim` decides)."""
        return await self._claim_with(instance_id, 'ON CONFLICT ("instanceId") DO NOTHING')

    async def _claim_with(self, instance_id: str, on_conflict: str) -> int | None:
        """Insert the lease with token 1, or on conflict do what `on_conflict` says; the token taken
        is recorded in the claim history, in the same transaction."""
        async with self.db.transaction() as s:
            token = (
                await s.execute(
                    text(
                        f'INSERT INTO "ClusterLease" ("instanceId", "nodeId", token, "expiresAt") '
                        f"VALUES (:i, :n, 1, {NOW} + make_interval(secs => :lease)) {on_conflict} RETURNING token"
                    ),
                    {"i": instance_id, "n": self.node_id, "lease": self.lease},
                )
            ).scalar()
            if token is None:
                return None
            await _record_claim(s, instance_id, self.node_id, int(token))
            return int(token)

    async def renew(self, held: dict[str, int]) -> set[str]:
        """Extend every lease still ours with the same token; returns the instance ids renewed. The
        rows are locked in instance id order first, the order of the outbox writer's fencing check
        (cluster/fence.py): the two lock the same rows, and one order means no deadlock."""
        if not held:
            return set()
        ids = list(held)
        statement = text(
            f'UPDATE "ClusterLease" AS l SET "expiresAt" = {NOW} + make_interval(secs => :lease) '
            f'FROM (SELECT c."instanceId" FROM "ClusterLease" c '
            f"JOIN unnest(CAST(:ids AS text[]), CAST(:tokens AS bigint[])) AS h(id, tok) "
            f'ON c."instanceId" = h.id AND c.token = h.tok WHERE c."nodeId" = :n '
            f'ORDER BY c."instanceId" FOR UPDATE OF c) AS mine '
            f'WHERE l."instanceId" = mine."instanceId" RETURNING l."instanceId"'
        ).bindparams(bindparam("ids"), bindparam("tokens"))
        async with self.db.transaction() as s:
            rows = await s.execute(
                statement, {"ids": ids, "tokens": [held[i] for i in ids], "n": self.node_id, "lease": self.lease}
            )
            return {r[0] for r in rows}

    async def release(self, instance_id: str, token: int) -> None:
        """Give the lease up at once: expired now. The token stays (the next claim takes token + 1), and so
        does the node id, so the next owner knows whose pending deliveries it may have to send."""
        async with self.db.transaction() as s:
            await s.execute(
                text(
                    'UPDATE "ClusterLease" SET "expiresAt" = \'1970-01-01\' '
                    'WHERE "instanceId" = :i AND token = :t AND "nodeId" = :n'
                ),
                {"i": instance_id, "t": token, "n": self.node_id},
            )

    async def still_owner(self, instance_id: str, token: int) -> bool:
        """Whether this node holds the lease with this token now (a read, no lock: the owner writes
        are checked inside their own transaction by cluster/fence.py instead)."""
        async with self.db.session() as s:
            found = (
                await s.execute(
                    text(
                        f'SELECT 1 FROM "ClusterLease" WHERE "instanceId" = :i AND token = :t AND "nodeId" = :n '
                        f'AND "expiresAt" > {NOW}'
                    ),
                    {"i": instance_id, "t": token, "n": self.node_id},
                )
            ).first()
            return found is not None


async def _record_claim(s: AsyncSession, instance_id: str, node_id: str, token: int) -> None:
    await s.execute(
        text(f'INSERT INTO "ClusterClaim" ("instanceId", "nodeId", token, "claimedAt") VALUES (:i, :n, :t, {NOW})'),
        {"i": instance_id, "n": node_id, "t": token},
    )


async def owners(db: Database) -> dict[str, list[str]]:
    """Node id → names of the instances whose unexpired lease it holds."""
    async with db.session() as s:
        rows = await s.execute(
            text(
                'SELECT l."nodeId", i.name FROM "ClusterLease" l JOIN "Instance" i ON i.id = l."instanceId" '
                f'WHERE l."nodeId" IS NOT NULL AND l."expiresAt" > {NOW} ORDER BY i.name'
            )
        )
        found: dict[str, list[str]] = {}
        for node_id, name in rows:
            found.setdefault(node_id, []).append(name)
        return found
