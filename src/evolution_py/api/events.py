"""`/events` router (ours, upstream has none): dead-lettered deliveries, listed and replayed.

A delivery is dead-lettered when its sink refused it for good (e.g. a 4xx from the webhook
receiver) or it ran out of attempts. The instance's own token sees, replays and discards only the
letters of that instance's own sinks (the webhook, RabbitMQ, socket.io rows and integrations it
configured): deliveries to the operator's global sinks carry the operator's URLs and secrets and are
the global key's alone. The global key sees all of them, including those of deleted instances.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, delete, get, post

from evolution_py.api.auth import global_guard, instance_guard, is_global_key
from evolution_py.errors import BadRequest
from evolution_py.events.outbox import Outbox
from evolution_py.events.sink import INSTANCE_SCOPE
from evolution_py.services import Services


class ReplayRequest(msgspec.Struct, kw_only=True):
    """Which dead letters a replay or a discard acts on: some `ids`, or `all` of them."""

    ids: list[str] | None = None
    all: bool = False


def _selection(data: ReplayRequest) -> list[str] | None:
    if not data.all and not data.ids:
        raise BadRequest('send "ids": [...] or "all": true')
    return None if data.all else data.ids


def _outbox(services: Services) -> Outbox:
    if services.bus.outbox is None:
        raise BadRequest("this server runs without a durable event bus")
    return services.bus.outbox


def _page(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= 1000:
        raise BadRequest("limit must be between 1 and 1000")
    if not 0 <= offset <= 2**31 - 1:
        raise BadRequest("offset must be between 0 and 2147483647")
    return limit, offset


def _scope(request: Request[Any, Any, Any]) -> str | None:
    """What an `{instanceName}` route's caller may see: everything of the instance with the global
    key, only the instance's own sinks' deliveries with its token."""
    return None if is_global_key(request) else INSTANCE_SCOPE


async def _list(
    services: Services, instance_id: str | None, limit: int, offset: int, event: str | None, scope: str | None
) -> dict[str, Any]:
    limit, offset = _page(limit, offset)
    total, records = await _outbox(services).dead_letters(
        instance_id, limit=limit, offset=offset, event=event, scope=scope
    )
    return {"total": total, "limit": limit, "offset": offset, "records": records}


async def _replay(
    services: Services, instance_id: str | None, data: ReplayRequest, scope: str | None
) -> dict[str, Any]:
    revived = await _outbox(services).revive(instance_id, _selection(data), scope=scope)
    await services.bus.redeliver(revived)
    return {"replayed": len(revived), "ids": [delivery.id for delivery in revived]}


@get("/events/dead/{instanceName:str}", guards=[instance_guard], tags=["Events"])
async def list_dead(
    request: Request[Any, Any, Any],
    services: Services,
    instanceName: str,
    limit: int = 100,
    offset: int = 0,
    event: str | None = None,
) -> dict[str, Any]:
    runtime = services.registry.require(instanceName)
    return await _list(services, runtime.id, limit, offset, event, _scope(request))


@post("/events/replay/{instanceName:str}", guards=[instance_guard], status_code=200, tags=["Events"])
async def replay_dead(
    request: Request[Any, Any, Any], services: Services, instanceName: str, data: ReplayRequest
) -> dict[str, Any]:
    runtime = services.registry.require(instanceName)
    return await _replay(services, runtime.id, data, _scope(request))


@get("/events/dead", guards=[global_guard], tags=["Events"])
async def list_all_dead(
    services: Services, limit: int = 100, offset: int = 0, event: str | None = None
) -> dict[str, Any]:
    return await _list(services, None, limit, offset, event, None)


@post("/events/replay", guards=[global_guard], status_code=200, tags=["Events"])
async def replay_all_dead(services: Services, data: ReplayRequest) -> dict[str, Any]:
    return await _replay(services, None, data, None)


@delete("/events/dead/{instanceName:str}", guards=[instance_guard], status_code=200, tags=["Events"])
async def discard_dead(
    request: Request[Any, Any, Any], services: Services, instanceName: str, data: ReplayRequest
) -> dict[str, Any]:
    runtime = services.registry.require(instanceName)
    return {"deleted": await _outbox(services).discard(runtime.id, _selection(data), scope=_scope(request))}


@delete("/events/dead", guards=[global_guard], status_code=200, tags=["Events"])
async def discard_all_dead(services: Services, data: ReplayRequest) -> dict[str, Any]:
    return {"deleted": await _outbox(services).discard(None, _selection(data))}


ROUTES = [list_dead, replay_dead, discard_dead, list_all_dead, replay_all_dead, discard_all_dead]
