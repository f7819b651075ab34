"""Fencing on every owner write: what a cluster node gives the outbox writer (store/db.py
`WriteFence`). The writer's transaction that stores an instance's event deliveries, message rows or
contact / chat upserts runs `CHECK` first and stores only the rows of the instances it returns, so a
node that paused past its lease, or whose instance another node took over, writes nothing more for
it from that moment on (the reasoning is at events/outbox_sql.py `_check_fence`).

The tokens come from the node's memory (`ClusterNode.write_token`): what it believes it holds. A
node that paused still believes it holds token N; the database says N+1 and another node, so the
check refuses, and the node stops the instance at once (`lost`), before its next tick would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from evolution_py.cluster.leases import NOW

# The rows it returns stay locked FOR SHARE until the writer's transaction ends: a claim (an UPDATE
# of the row) waits for that commit. ORDER BY: locked in instance id order, as `LeaseStore.renew`
# locks them. The lease's primary key answers it: one index probe per instance of the batch.
CHECK = (
    'SELECT l."instanceId" FROM "ClusterLease" l '
    'JOIN unnest($1::text[], $2::bigint[]) AS h(id, tok) ON l."instanceId" = h.id AND l.token = h.tok '
    f'WHERE l."nodeId" = $3 AND l."expiresAt" > {NOW} '
    'ORDER BY l."instanceId" FOR SHARE OF l'
)

# The same for one instance, as an owner write in its own transaction runs it (store/db.py
# `Database.check_owner`), in SQLAlchemy's marks.
CHECK_ONE = (
    'SELECT 1 FROM "ClusterLease" WHERE "instanceId" = :instance AND token = :token AND "nodeId" = :node '
    f'AND "expiresAt" > {NOW} FOR SHARE'
)


class LeaseFence:
    """A node's leases as the outbox writer checks them."""

    def __init__(
        self,
        node_id: str,
        token_of: Callable[[str], Awaitable[int | None]],
        on_lost: Callable[[dict[str, int]], None] | None = None,
    ) -> None:
        self._node_id = node_id
        self._token_of = token_of
        self._on_lost = on_lost

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def check_sql(self) -> str:
        return CHECK

    @property
    def check_one_sql(self) -> str:
        return CHECK_ONE

    async def tokens(self, instance_ids: Collection[str]) -> dict[str, int]:
        found = {}
        for instance_id in instance_ids:
            token = await self._token_of(instance_id)
            if token is not None:
                found[instance_id] = token
        return found

    def lost(self, checked: dict[str, int]) -> None:
        if self._on_lost is not None:
            self._on_lost(checked)
