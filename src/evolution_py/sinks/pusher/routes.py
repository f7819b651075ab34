"""`/pusher` router: per-instance Pusher app and events. As upstream, `/pusher/set` stores the row
whatever PUSHER_ENABLED says, and `/pusher/find` answers empty while it is not true."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.errors import BadRequest
from evolution_py.events.subscriptions import SubscriptionError
from evolution_py.services import Services
from evolution_py.sinks.pusher import PUSHER
from evolution_py.sinks.pusher.rows import PusherConfig, pusher_row
from evolution_py.sinks.shared_routes import empty, find_row


class PusherBody(msgspec.Struct, kw_only=True):
    pusher: PusherConfig


@post("/pusher/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["Pusher"])
async def set_pusher(services: Services, instanceName: str, data: PusherBody) -> Response[Any]:
    runtime = services.registry.require(instanceName)
    try:
        row = pusher_row(data.pusher)
    except SubscriptionError as exc:
        raise BadRequest(str(exc)) from None
    return Response(await services.subscriptions.save("pusher", runtime.id, row), status_code=201)


@get("/pusher/find/{instanceName:str}", guards=[instance_guard], tags=["Pusher"])
async def find_pusher(services: Services, instanceName: str) -> Response[Any]:
    if not PUSHER.config(services.settings.env).enabled:
        return empty(200)
    return Response(await find_row(services, "pusher", instanceName), status_code=200)


ROUTES = [set_pusher, find_pusher]
