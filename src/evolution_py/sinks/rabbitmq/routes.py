"""`/rabbitmq` router: per-instance RabbitMQ subscription (gated by RABBITMQ_ENABLED, as upstream)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.services import Services
from evolution_py.sinks.event_rows import EventsConfig
from evolution_py.sinks.rabbitmq import RABBITMQ
from evolution_py.sinks.shared_routes import empty, find_row, set_row


class RabbitmqBody(msgspec.Struct, kw_only=True):
    rabbitmq: EventsConfig


def _enabled(services: Services) -> bool:
    return RABBITMQ.config(services.settings.env).enabled


@post("/rabbitmq/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["RabbitMQ"])
async def set_rabbitmq(services: Services, instanceName: str, data: RabbitmqBody) -> Response[Any]:
    if not _enabled(services):
        return empty(201)
    return Response(await set_row(services, "rabbitmq", instanceName, data.rabbitmq), status_code=201)


@get("/rabbitmq/find/{instanceName:str}", guards=[instance_guard], tags=["RabbitMQ"])
async def find_rabbitmq(services: Services, instanceName: str) -> Response[Any]:
    if not _enabled(services):
        return empty(200)
    return Response(await find_row(services, "rabbitmq", instanceName), status_code=200)


ROUTES = [set_rabbitmq, find_rabbitmq]
