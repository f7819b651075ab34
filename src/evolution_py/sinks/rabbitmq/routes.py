"""`/rabbitmq` router: per-instance RabbitMQ subscription (gated by RABBITMQ_ENABLED, as upstream)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.services import services_of
from evolution_py.sinks.event_rows import EventsConfig
from evolution_py.sinks.rabbitmq import RABBITMQ
from evolution_py.sinks.shared_routes import empty, find_row, set_row


class RabbitmqBody(msgspec.Struct, kw_only=True):
    rabbitmq: EventsConfig


def _enabled(request: Request[Any, Any, Any]) -> bool:
    return RABBITMQ.config(services_of(request).settings.env).enabled


@post("/rabbitmq/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["RabbitMQ"])
async def set_rabbitmq(request: Request[Any, Any, Any], instanceName: str, data: RabbitmqBody) -> Response[Any]:
    if not _enabled(request):
        return empty(201)
    return Response(await set_row(request, "rabbitmq", instanceName, data.rabbitmq), status_code=201)


@get("/rabbitmq/find/{instanceName:str}", guards=[instance_guard], tags=["RabbitMQ"])
async def find_rabbitmq(request: Request[Any, Any, Any], instanceName: str) -> Response[Any]:
    if not _enabled(request):
        return empty(200)
    return Response(await find_row(request, "rabbitmq", instanceName), status_code=200)


ROUTES = [set_rabbitmq, find_rabbitmq]
