"""`GET /cluster/nodes` (global key; served only with CLUSTER_ENABLED): the live nodes, where the
others reach them, when each was last heard of, and the instances each owns (docs/cluster.md)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from evolution_py.api.auth import global_guard
from evolution_py.cluster.leases import owners
from evolution_py.services import Services


@get("/cluster/nodes", guards=[global_guard])
async def cluster_nodes(request: Request[Any, Any, Any], services: Services) -> dict[str, Any]:
    node = services.cluster
    assert node is not None  # the route is mounted only when the cluster is on
    live = await node.store.live_nodes()
    owned = await owners(services.db)
    return {
        "nodes": [
            {
                "id": row.id,
                "url": row.url,
                "lastSeen": row.last_seen.isoformat(timespec="milliseconds") + "Z",
                "instances": owned.get(row.id, []),
            }
            for row in live
        ]
    }


ROUTES = [cluster_nodes]
