"""What the `/<sink>/set` and `/<sink>/find` routes of the events-only sinks (websocket, rabbitmq) share.

Upstream's rules: body `{"<sink>": {"enabled": bool, "events": [...]}}`, one row per instance; when
the sink's `*_ENABLED` variable is not true both routes answer an empty body.
"""

from __future__ import annotations

from typing import Any

from litestar import Response

from evolution_py.errors import BadRequest
from evolution_py.events.subscriptions import SubscriptionError
from evolution_py.services import Services
from evolution_py.sinks.event_rows import EventsConfig, events_row


def empty(status: int) -> Response[Any]:
    """What upstream's `res.json(undefined)` sends: the route's status, no body."""
    return Response(b"", status_code=status, media_type="application/json")


async def set_row(services: Services, kind: str, instance_name: str, block: EventsConfig) -> dict[str, Any]:
    runtime = services.registry.require(instance_name)
    try:
        row = events_row(kind, block.enabled, block.events)
    except SubscriptionError as exc:
        raise BadRequest(str(exc)) from None
    return await services.subscriptions.save(kind, runtime.id, row)


async def find_row(services: Services, kind: str, instance_name: str) -> dict[str, Any] | None:
    runtime = services.registry.require(instance_name)
    return await services.subscriptions.find(kind, runtime.id)
