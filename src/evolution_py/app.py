"""The ASGI application: Litestar routes over the shared services, wired at start and stop."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from litestar import Litestar, Request, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.response import Redirect

from evolution_py import UPSTREAM_VERSION, __version__
from evolution_py.api import (
    baileys,
    business,
    call,
    channel_webhooks,
    chat,
    group,
    instance,
    label,
    manager,
    message,
    operations,
    proxy,
    root,
    template,
)
from evolution_py.api import cluster as cluster_api
from evolution_py.api import events as events_api
from evolution_py.api import go as go_api
from evolution_py.api import s3 as s3_api
from evolution_py.api import settings as settings_api
from evolution_py.api.auth import skip_guard_copies
from evolution_py.api.cors import skip_cors_without_origin
from evolution_py.api.errors import EXCEPTION_HANDLERS
from evolution_py.api.openapi import docs_assets, finish_schema, swagger_ui
from evolution_py.api.polled_state import PolledState
from evolution_py.cache import Cache, cache_settings
from evolution_py.channels.registry import default_kinds
from evolution_py.cluster.wiring import cluster_directory, cluster_node, cluster_router
from evolution_py.config import Settings
from evolution_py.core.instance_report import InstanceReport
from evolution_py.core.instances import InstanceService
from evolution_py.core.logbook import InstanceLogbook
from evolution_py.core.messaging import MessagingService
from evolution_py.core.registry import LocalInstanceRegistry
from evolution_py.core.runtime import RuntimeDeps
from evolution_py.events.bus import EventBus
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.integrations.base import IntegrationContext
from evolution_py.integrations.registry import default_integrations, install_integrations, integration_routes
from evolution_py.media_store import media_storage
from evolution_py.ops import backpressure, heap
from evolution_py.ops.metrics import HttpMetrics
from evolution_py.outbound import OutboundClient
from evolution_py.services import Services, route_dependencies
from evolution_py.sinks.kind import SinkContext
from evolution_py.sinks.registry import fetch_tables, in_front, install_sinks, sink_routes
from evolution_py.store.db import Database

log = logging.getLogger(__name__)


@get("/docs", include_in_schema=False)
async def docs_redirect(request: Request[Any, Any, Any]) -> Redirect:
    return Redirect(path="/schema/swagger")


def build_services(settings: Settings) -> Services:
    db = Database(settings.database_url)
    bus = EventBus(db, max_in_memory=settings.env.integer("EVENT_BUS_MAX_IN_MEMORY", 20000, minimum=10))
    subscriptions = Subscriptions(db)
    logbook = InstanceLogbook(db, settings)
    kinds = default_kinds()
    kinds.check_settings(settings)
    registry = LocalInstanceRegistry()
    media = media_storage(settings, db)  # None unless S3_ENABLED
    outbound = OutboundClient(
        block_private_networks=settings.env.flag("WEBHOOK_BLOCK_PRIVATE_NETWORKS", False),
        user_agent=f"evolution-py/{__version__}",
    )
    cache = Cache(cache_settings(settings.env))  # CACHE_REDIS_* / CACHE_LOCAL_* (cache/)
    deps = RuntimeDeps(
        settings=settings,
        db=db,
        bus=bus,
        subscriptions=subscriptions,
        logbook=logbook,
        outbound=outbound,
        media=media,
        cache=cache,
    )
    directory = cluster_directory(settings, registry)  # the registry itself unless CLUSTER_ENABLED
    sinks = install_sinks(SinkContext(settings, subscriptions, directory, media), bus)
    messaging = MessagingService(registry)
    integrations = install_integrations(
        IntegrationContext(settings=settings, messaging=messaging, registry=registry, outbound=outbound, db=db),
        bus,
        default_integrations(),
    )
    services = Services(
        settings=settings,
        db=db,
        bus=bus,
        subscriptions=subscriptions,
        kinds=kinds,
        registry=registry,
        logbook=logbook,
        instances=InstanceService(deps, kinds, registry),
        report=InstanceReport(settings, db, registry, fetch_tables()),
        messaging=messaging,
        outbound=outbound,
        sinks=sinks,
        integrations=integrations,
        media=media,
        cache=cache,
    )
    services.cluster = cluster_node(
        settings, cache, services.instances.loader, directory
    )  # None unless CLUSTER_ENABLED
    return services


def create_app(settings: Settings, services: Services | None = None, *, settle_heap: bool = False) -> Litestar:
    """The Litestar app. `settle_heap` (the serving entry points, with SERVER_GC_FREEZE): the heap
    built by start-up is frozen out of the garbage collector once started (ops/heap.py)."""
    services = services or build_services(settings)

    async def on_startup(_app: Litestar) -> None:
        # neonize parks one executor thread per connected client for the client's whole life.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=settings.executor_threads))
        await services.db.migrate()
        if services.media is not None:  # before the bus: sinks may put files (SQS's big bodies)
            await services.media.start()
        await services.bus.start()
        if services.cluster is None:
            await services.instances.loader.load_all()
        else:  # only the instances this node owns (cluster/node.py)
            await services.cluster.start()
        log.info("evolution-py %s ready: %d instance(s) loaded", __version__, len(services.registry))
        if not services.outbound.block_private_networks and any(r.token for r in services.registry.all()):
            log.warning(
                "WEBHOOK_BLOCK_PRIVATE_NETWORKS is off while instances have their own tokens: a tenant can "
                "point its webhook or a media URL at this server's own network (loopback, private ranges, "
                "cloud metadata). Set WEBHOOK_BLOCK_PRIVATE_NETWORKS=true on a server shared by several "
                "tenants (docs/security.md)."
            )
        if settings.api_key_weak:
            log.warning(
                "!!! AUTHENTICATION_API_KEY is a known default or shorter than 16 characters, and "
                "AUTHENTICATION_API_KEY_ALLOW_WEAK=true let it through: anyone who tries it controls every "
                "instance. Set a long random key before this server is reachable by others. !!!"
            )
        if settle_heap:
            log.info("start-up heap frozen out of the garbage collector: %d objects", heap.settle())

    async def on_shutdown(_app: Litestar) -> None:
        if services.cluster is not None:  # hand this node's instances over at once
            await services.cluster.stop()
        await services.instances.loader.shutdown()
        await services.bus.stop()
        await services.outbound.close()
        await services.cache.close()
        if services.media is not None:
            await services.media.stop()
        await services.db.dispose()

    routes: list[Any] = [docs_redirect, docs_assets()]
    for module in (
        root,
        instance,
        settings_api,
        proxy,
        message,
        chat,
        channel_webhooks,
        group,
        label,
        call,
        business,
        baileys,
        template,
        events_api,
        s3_api,
    ):
        routes.extend(module.ROUTES)
    routes.extend(sink_routes())
    routes.extend(operations.routes(services))  # /health, /health/ready, /metrics when switched on
    routes.extend(manager.routes(settings))  # /manager, unless SERVER_DISABLE_MANAGER
    routes.extend(integration_routes())
    routes.append(go_api.build_router())
    if services.cluster is not None:
        routes.extend(cluster_api.ROUTES)  # GET /cluster/nodes

    app = Litestar(
        route_handlers=routes,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        exception_handlers=EXCEPTION_HANDLERS,
        # inside CORS: a refused request's 503 carries the CORS headers (ops/backpressure.py)
        middleware=backpressure.middleware(
            backpressure.Gate(
                settings.server_max_inflight,
                settings.instance_max_inflight,
                settings.backpressure_retry_after,
                settings.server_max_wait_ms / 1000,
            )
        ),
        dependencies=route_dependencies(services),
        cors_config=CORSConfig(
            allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "PUT", "DELETE"], allow_headers=["*"]
        ),
        openapi_config=OpenAPIConfig(
            title="evolution-py",
            version=__version__,
            description=f"Evolution API v{UPSTREAM_VERSION} compatible server. Authenticate with the `apikey` header.",
            path="/schema",
            render_plugins=[swagger_ui()],
        ),
        state=State({"services": services}),
        debug=False,
        # SERVER_MAX_BODY_MB (docs/security.md, "Connections"): answered 413 past it.
        request_max_body_size=int(settings.env.number("SERVER_MAX_BODY_MB", 100.0) * 1024 * 1024),
        logging_config=None,
    )
    # Errors' envelopes, required fields and the apikey scheme in the schema (api/openapi.py).
    finish_schema(app.openapi_schema, integrations=[kind.integration for kind in services.kinds])
    skip_guard_copies(app)  # every guarded route: no per-request copy of its handler (api/auth.py)
    skip_cors_without_origin(app)  # requests without Origin skip the CORS middleware (api/cors.py)
    services.app = app
    return app


def build_asgi(settings: Settings, services: Services | None = None, *, settle_heap: bool = False) -> Any:
    """The served ASGI app: Litestar, behind what the sinks put in front of it (socket.io at
    /socket.io when WEBSOCKET_ENABLED, which hands every other path, and the lifespan, to Litestar)."""
    services = services or build_services(settings)
    app = create_app(settings, services, settle_heap=settle_heap)
    # The polled connectionState answered before Litestar when it can be (api/polled_state.py).
    served = in_front(services.sinks, HttpMetrics(PolledState(app, services)))
    if services.cluster is not None:  # forwards what another node owns (cluster/routing.py)
        served = cluster_router(served, services.cluster, services.registry, settings)
    return served
