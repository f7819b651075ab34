"""The operator's routes: `GET /metrics` (Prometheus, when PROMETHEUS_METRICS=true, upstream's access
rules), `GET /health` (liveness: the process answers) and `GET /health/ready` (readiness: the
database, and RabbitMQ / Redis when switched on, answer). None takes the apikey."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, get
from litestar.response import Response
from prometheus_client import generate_latest

from evolution_py import UPSTREAM_VERSION, __version__
from evolution_py.ops import health, metrics
from evolution_py.ops.metrics_access import REALM_HEADER, MetricsAccess
from evolution_py.ops.outbox_depth import outbox_stats
from evolution_py.services import Services
from evolution_py.sinks.rabbitmq import RABBITMQ
from evolution_py.store.db import trouble

log = logging.getLogger(__name__)

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@get("/metrics", tags=["Operations"], summary="Prometheus metrics (PROMETHEUS_METRICS=true)")
async def prometheus_metrics(request: Request[Any, Any, Any], services: Services) -> Response[bytes]:
    access = MetricsAccess.from_env(services.settings.env)
    client = request.client.host if request.client else ""
    refused = access.refusal(client, request.headers.get("authorization"))
    if refused is not None:
        status, message = refused
        headers = REALM_HEADER if message == "Authentication required" else {}
        return Response(message.encode(), status_code=status, media_type="text/html; charset=utf-8", headers=headers)
    try:
        await metrics.refresh_outbox(lambda: outbox_stats(services.db))
    except Exception as exc:
        if trouble(exc) is None:
            raise
        log.warning("metrics: outbox depth not read: %s", exc)  # the other families still answer
    return Response(
        generate_latest(metrics.REGISTRY),
        media_type=PROMETHEUS_TEXT,
        headers={"Cache-Control": "no-cache, no-store, must-revalidate"},
    )


@get("/health", tags=["Operations"], summary="Liveness")
async def liveness() -> dict[str, Any]:
    return {"status": "ok", "server": "evolution-py", "serverVersion": __version__}


@get("/health/ready", tags=["Operations"], summary="Readiness: database, RabbitMQ and Redis when on")
async def readiness(services: Services) -> Response[dict[str, Any]]:
    checks: dict[str, health.Check] = {"database": health.database_check(services.db)}
    rabbit = services.sinks.get(RABBITMQ)
    if rabbit is not None:
        checks["rabbitmq"] = health.flag_check(lambda: rabbit.connection.connected, "RabbitMQ")
    env = services.settings.env
    if env.flag("CACHE_REDIS_ENABLED"):
        checks["redis"] = health.redis_check(env.text("CACHE_REDIS_URI"))
    ready, report = await health.run_checks(checks)
    body = {"status": "ready" if ready else "unavailable", "checks": report}
    return Response(body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})


def routes(services: Services) -> list[Any]:
    """/metrics exists only when PROMETHEUS_METRICS=true (404 otherwise, as upstream)."""
    settings = services.settings
    registry = services.registry
    metrics.watch_instances(
        lambda: [(r.name, r.integration, r.channel.state) for r in registry.all()],
        lambda instance_id: getattr(registry.resolve(instance_id), "integration", ""),
        version=UPSTREAM_VERSION,
        client_name=settings.client_name,
        server_url=settings.server_url,
    )
    found: list[Any] = [liveness, readiness]
    if MetricsAccess.from_env(settings.env).enabled:
        found.append(prometheus_metrics)
    return found
