"""Shared body of the `/<sink>/set` and `/<sink>/find` routes of the event routers (websocket, rabbitmq).

Upstream's rules: body `{"<sink>": {"enabled": bool, "events": [...]}}`, one row per instance,
`enabled:false` stores `[]`, `enabled:true` with `[]` stores all 31 keys; when the sink's `*_ENABLED`
env is not true both routes answer an empty body.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response

from evolution_py.errors import BadRequest
from evolution_py.events.subscriptions import SubscriptionError, normalize_events
from evolution_py.services import services_of


class EventsConfig(msgspec.Struct, kw_only=True):
    enabled: bool
    events: list[str] | None = None


class WebsocketBody(msgspec.Struct, kw_only=True):
    websocket: EventsConfig


class RabbitmqBody(msgspec.Struct, kw_only=True):
    rabbitmq: EventsConfig


def empty(status: int) -> Response[Any]:
    """What upstream's `res.json(undefined)` sends: the route's status, no body."""
    return Response(b"", status_code=status, media_type="application/json")


async def set_row(
    request: Request[Any, Any, Any], kind: str, instance_name: str, block: EventsConfig
) -> dict[str, Any]:
    services = services_of(request)
    runtime = services.manager.require(instance_name)
    try:
        events = normalize_events(kind, block.enabled, block.events)
    except SubscriptionError as exc:
        raise BadRequest(str(exc)) from None
    return await services.subscriptions.save(kind, runtime.id, {"enabled": block.enabled, "events": events})


async def find_row(request: Request[Any, Any, Any], kind: str, instance_name: str) -> dict[str, Any] | None:
    services = services_of(request)
    runtime = services.manager.require(instance_name)
    return await services.subscriptions.find(kind, runtime.id)
