"""`/sqs` router: per-instance SQS subscription (gated by SQS_ENABLED, as upstream; `/sqs/set` also
answers empty while SQS_GLOBAL_ENABLED, where upstream ignores per-instance rows)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.services import Services
from evolution_py.sinks.event_rows import EventsConfig
from evolution_py.sinks.shared_routes import empty, find_row, set_row
from evolution_py.sinks.sqs import SQS


class SqsBody(msgspec.Struct, kw_only=True):
    sqs: EventsConfig


@post("/sqs/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["SQS"])
async def set_sqs(services: Services, instanceName: str, data: SqsBody) -> Response[Any]:
    settings = SQS.config(services.settings.env)
    if not settings.enabled or settings.global_enabled:
        return empty(201)
    row = await set_row(services, "sqs", instanceName, data.sqs)
    sink = services.sinks.get(SQS)
    if sink is not None and row["enabled"]:
        # As upstream: the queues exist once the route answers (when SQS is reachable).
        await sink.create_queues(sink.instance_queues(instanceName, row["events"]), content_dedup=False)
    return Response(row, status_code=201)


@get("/sqs/find/{instanceName:str}", guards=[instance_guard], tags=["SQS"])
async def find_sqs(services: Services, instanceName: str) -> Response[Any]:
    if not SQS.config(services.settings.env).enabled:
        return empty(200)
    return Response(await find_row(services, "sqs", instanceName), status_code=200)


ROUTES = [set_sqs, find_sqs]
