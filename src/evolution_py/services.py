"""The objects one server process shares between routes, channels and sinks.

Routes get them by Litestar dependency injection (`route_dependencies`): a handler names a parameter
`instances: InstanceService`, `registry: InstanceRegistry`, `messaging: MessagingService`, ... and
Litestar passes it. Guards cannot take dependencies; they use `services_of`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.di import Provide

from evolution_py.cache import Cache, CacheSettings
from evolution_py.channels.registry import ChannelKinds
from evolution_py.cluster.node import ClusterNode
from evolution_py.config import Settings
from evolution_py.core.instance_report import InstanceReport
from evolution_py.core.instances import InstanceService
from evolution_py.core.logbook import InstanceLogbook
from evolution_py.core.messaging import MessagingService
from evolution_py.core.registry import InstanceRegistry
from evolution_py.events.bus import EventBus
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.integrations.base import Integration
from evolution_py.media_store.storage import MediaStorage
from evolution_py.outbound import OutboundClient
from evolution_py.sinks.kind import InstalledSinks
from evolution_py.store.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    bus: EventBus
    subscriptions: Subscriptions
    kinds: ChannelKinds
    registry: InstanceRegistry  # every loaded instance's runtime state, by name / id / token
    logbook: InstanceLogbook
    instances: InstanceService
    report: InstanceReport
    messaging: MessagingService
    outbound: OutboundClient  # the guarded HTTP client for tenant-given URLs
    sinks: InstalledSinks = field(default_factory=InstalledSinks)  # the sinks on the bus, by kind
    integrations: list[Integration] = field(default_factory=list)  # on the bus too
    app: Litestar | None = None  # the Litestar app serving these services, once built
    media: MediaStorage | None = None  # S3 / MinIO media storage (media_store/), when S3_ENABLED
    cluster: ClusterNode | None = None  # CLUSTER_ENABLED (cluster/): this node's leases and heartbeat
    cache: Cache = field(default_factory=lambda: Cache(CacheSettings()))  # CACHE_* (cache/)


def _constant(value: object) -> Provide:
    def provide() -> object:
        return value

    return Provide(provide, use_cache=True, sync_to_thread=False)


def route_dependencies(services: Services) -> dict[str, Provide]:
    """The app-level dependencies: what a route handler may name as a parameter."""
    return {
        "services": _constant(services),
        "config": _constant(services.settings),
        "registry": _constant(services.registry),
        "instances": _constant(services.instances),
        "report": _constant(services.report),
        "messaging": _constant(services.messaging),
        "outbound": _constant(services.outbound),
        "logbook": _constant(services.logbook),
        "subscriptions": _constant(services.subscriptions),
    }


def services_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Services:
    return connection.app.state.services  # type: ignore[no-any-return]
