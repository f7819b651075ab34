"""`/proxy` router: v2's proxy checks and answers over the instance service."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, post

from evolution_py.api.auth import instance_guard
from evolution_py.channels.base import ProxyConfig
from evolution_py.core.identity import PROXY_PROTOCOLS
from evolution_py.core.instances import InstanceService
from evolution_py.dto.instance import ProxyRequest
from evolution_py.errors import BadRequest
from evolution_py.store.messages import iso


def _proxy_config(req: ProxyRequest) -> ProxyConfig:
    if not req.enabled:
        return ProxyConfig()
    if not req.host.strip():
        raise BadRequest('The "host" cannot be empty')
    if not str(req.port).strip():
        raise BadRequest('The "port" cannot be empty')
    if req.protocol not in PROXY_PROTOCOLS:
        raise BadRequest(f"protocol must be one of {', '.join(PROXY_PROTOCOLS)}")
    return ProxyConfig(
        enabled=True,
        host=req.host,
        port=str(req.port),
        protocol=req.protocol,
        username=req.username or "",
        password=req.password or "",
    )


@post("/proxy/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["Proxy"])
async def set_proxy(instances: InstanceService, instanceName: str, data: ProxyRequest) -> dict[str, Any]:
    instances.registry.require(instanceName)  # an instance not loaded here is a 404 before any 400
    stored = await instances.set_proxy(instanceName, _proxy_config(data))
    return {"proxy": {"instanceName": instanceName, "proxy": msgspec.to_builtins(stored)}}


@get("/proxy/find/{instanceName:str}", guards=[instance_guard], tags=["Proxy"])
async def find_proxy(instances: InstanceService, instanceName: str) -> dict[str, Any] | None:
    stored = await instances.find_proxy(instanceName)
    if stored is None:
        return None
    # The stored row as upstream's Prisma returns it (columns in table order).
    return {
        "id": stored.id,
        **msgspec.to_builtins(stored.config),
        "createdAt": iso(stored.created_at),
        "updatedAt": iso(stored.updated_at),
        "instanceId": stored.instance_id,
    }


ROUTES = [set_proxy, find_proxy]
