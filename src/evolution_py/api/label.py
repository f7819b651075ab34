"""`/label` router: `findLabels` (200) and `handleLabel` (200)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import check_standard, json_body, to_dto
from evolution_py.core.registry import InstanceRegistry
from evolution_py.dto.label import HANDLE_LABEL_SCHEMA, HandleLabel


@get("/findLabels/{instanceName:str}")
async def find_labels(registry: InstanceRegistry, instanceName: str) -> Any:
    return await registry.require(instanceName).channel.labels.find_labels()


@post(
    "/handleLabel/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(HandleLabel),
)
async def handle_label(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    body = await json_body(request)
    check_standard(body, HANDLE_LABEL_SCHEMA)
    return await registry.require(instanceName).channel.labels.handle_label(to_dto(body, HandleLabel))


ROUTER = Router(path="/label", guards=[instance_guard], tags=["Label"], route_handlers=[find_labels, handle_label])
ROUTES = [ROUTER]
