"""`/call` router: `offer` (201)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, post

from evolution_py.api.auth import instance_guard
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import check_standard, json_body, to_dto
from evolution_py.core.registry import InstanceRegistry
from evolution_py.dto.call import OFFER_CALL_SCHEMA, OfferCall


@post(
    "/offer/{instanceName:str}",
    status_code=201,
    dependencies=documented_body(OfferCall),
)
async def offer_call(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    body = await json_body(request)
    check_standard(body, OFFER_CALL_SCHEMA)
    channel = registry.require(instanceName).channel
    return await channel.calls.offer_call(to_dto(body, OfferCall))


ROUTER = Router(path="/call", guards=[instance_guard], tags=["Call"], route_handlers=[offer_call])
ROUTES = [ROUTER]
