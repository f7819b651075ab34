"""`/nats` router: per-instance NATS subscription (gated by NATS_ENABLED, as upstream)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.services import Services
from evolution_py.sinks.event_rows import EventsConfig
from evolution_py.sinks.nats import NATS
from evolution_py.sinks.shared_routes import empty, find_row, set_row


class NatsBody(msgspec.Struct, kw_only=True):
    nats: EventsConfig


def _enabled(services: Services) -> bool:
    return NATS.config(services.settings.env).enabled


@post("/nats/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["NATS"])
async def set_nats(services: Services, instanceName: str, data: NatsBody) -> Response[Any]:
    if not _enabled(services):
        return empty(201)
    return Response(await set_row(services, "nats", instanceName, data.nats), status_code=201)


@get("/nats/find/{instanceName:str}", guards=[instance_guard], tags=["NATS"])
async def find_nats(services: Services, instanceName: str) -> Response[Any]:
    if not _enabled(services):
        return empty(200)
    return Response(await find_row(services, "nats", instanceName), status_code=200)


ROUTES = [set_nats, find_nats]
