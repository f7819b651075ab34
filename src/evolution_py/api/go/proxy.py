"""Go's proxy routes (global key): `POST|DELETE /instance/proxy/:instanceId`, and Go's proxy checks
(also used by create's `proxy` object)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, delete, post

from evolution_py.api.go.auth import admin_instance
from evolution_py.api.go.envelope import GoError, json_object, optional_string, required_string, success
from evolution_py.channels.base import ProxyConfig
from evolution_py.core.identity import PROXY_PROTOCOLS
from evolution_py.core.instances import InstanceService

_PORT = re.compile(r"^\d{1,5}$")


def proxy_config(value: Any, prefix: str) -> ProxyConfig:
    if not isinstance(value, dict):
        raise GoError(f"{prefix.rstrip('.')} must be an object")
    host = required_string(value, "host") if value.get("host") is not None else ""
    if not host:
        raise GoError(f"{prefix}host is required")
    if value.get("port") is None:
        raise GoError(f"{prefix}port is required")
    port = required_string(value, "port")
    if not _PORT.match(port) or not 0 < int(port) < 65536:
        raise GoError(f"{prefix}port must be a number between 1 and 65535")
    protocol = (optional_string(value, "protocol") or "http").lower()
    if protocol not in PROXY_PROTOCOLS:
        raise GoError(f"{prefix}protocol must be one of {', '.join(PROXY_PROTOCOLS)}")
    return ProxyConfig(
        enabled=True,
        host=host,
        port=port,
        protocol=protocol,
        username=optional_string(value, "username") or "",
        password=optional_string(value, "password") or "",
    )


@post("/instance/proxy/{instanceId:str}", status_code=200, summary="Set the proxy (Evolution Go)")
async def set_proxy(request: Request[Any, Any, Any], instances: InstanceService, instanceId: str) -> dict[str, Any]:
    runtime = admin_instance(request, instances.registry, instanceId)
    body = await json_object(request)
    for field in ("host", "port"):
        if body.get(field) in (None, ""):
            raise GoError(f"{field} is required")
    proxy = proxy_config(body, "")
    await instances.set_proxy(runtime.name, proxy)
    instances.reconnect_soon(runtime.name)
    return success({"host": proxy.host, "port": proxy.port, "hasAuth": bool(proxy.username and proxy.password)})


@delete("/instance/proxy/{instanceId:str}", status_code=200, summary="Remove the proxy (Evolution Go)")
async def remove_proxy(request: Request[Any, Any, Any], instances: InstanceService, instanceId: str) -> dict[str, Any]:
    runtime = admin_instance(request, instances.registry, instanceId)
    await instances.set_proxy(runtime.name, ProxyConfig())
    instances.reconnect_soon(runtime.name)
    return success()


ROUTES = [set_proxy, remove_proxy]
