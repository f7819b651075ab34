"""Building this node's `ClusterNode` from the settings (None when CLUSTER_ENABLED is off: the
single-node path then has no cluster code on it at all)."""

from __future__ import annotations

from typing import Any

from evolution_py.cache import Cache
from evolution_py.cluster import models as _tables  # noqa: F401 - the cluster tables on Base.metadata
from evolution_py.cluster.broadcast import SubscriptionBroadcast
from evolution_py.cluster.config import cluster_settings
from evolution_py.cluster.directory import ClusterDirectory
from evolution_py.cluster.leases import LeaseStore
from evolution_py.cluster.node import ClusterNode
from evolution_py.cluster.routing import ClusterRouter, OwnerLookup
from evolution_py.cluster.stream_relay import StreamRelay
from evolution_py.config import Settings
from evolution_py.core.loader import RuntimeLoader
from evolution_py.core.registry import InstanceRegistry
from evolution_py.sinks.kind import InstanceDirectory
from evolution_py.sinks.socketio import SocketIOSink


def cluster_directory(settings: Settings, registry: InstanceRegistry) -> InstanceDirectory:
    """What socket.io checks namespaces against: the registry itself on a single node."""
    if not settings.env.flag("CLUSTER_ENABLED", False):
        return registry
    return ClusterDirectory(registry)


def cluster_node(
    settings: Settings, cache: Cache, loader: RuntimeLoader, directory: InstanceDirectory
) -> ClusterNode | None:
    config = cluster_settings(
        settings.env, database_provider=settings.database_provider, cache=cache.settings, port=settings.server_port
    )
    if not config.enabled:
        return None
    # The bus pages no outbox row until the node knows which instances it holds (its first tick).
    loader.deps.bus.own_nothing()
    store = LeaseStore(loader.deps.db, config.node_id, config.advertise_url, config.lease_seconds)
    node = ClusterNode(config, store, loader, loader.registry, settings.client_name)
    node.directory = directory if isinstance(directory, ClusterDirectory) else None
    if cache.redis is not None:
        channel = f"{cache.settings.prefix_key}:cluster:sink-rows"
        node.broadcast = SubscriptionBroadcast(cache.redis, channel, config.node_id, loader.deps.subscriptions)
        for sink in loader.deps.bus.sinks:  # /ws across nodes (socket.io has its own Redis manager)
            if isinstance(sink, SocketIOSink):
                StreamRelay(cache.redis, f"{cache.settings.prefix_key}:cluster:ws", sink.hub).attach()
    return node


def cluster_router(app: Any, node: ClusterNode, registry: InstanceRegistry, settings: Settings) -> Any:
    """The served app behind the cluster's forwarding layer."""
    lookup = OwnerLookup(node.loader.deps.db, settings.client_name)
    router = ClusterRouter(app, node, registry, lookup, settings.api_key)
    node.closers.append(router.close)
    return router
