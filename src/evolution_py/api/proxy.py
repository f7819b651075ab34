"""`/proxy` router."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.dto.instance import ProxyRequest
from evolution_py.services import services_of


@post("/proxy/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["Proxy"])
async def set_proxy(request: Request[Any, Any, Any], instanceName: str, data: ProxyRequest) -> dict[str, Any]:
    return await services_of(request).manager.set_proxy(instanceName, data)


@get("/proxy/find/{instanceName:str}", guards=[instance_guard], tags=["Proxy"])
async def find_proxy(request: Request[Any, Any, Any], instanceName: str) -> dict[str, Any] | None:
    return await services_of(request).manager.find_proxy(instanceName)


ROUTES = [set_proxy, find_proxy]
