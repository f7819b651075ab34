"""Guards, in upstream's order: the instance must exist (404) before the key is checked (401).

Fixes upstream's holes: keys compare in constant time, an instance token acts only on its own
instance, and nothing in the query string changes which instance a call acts on.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from evolution_py.errors import Unauthorized, instance_not_found
from evolution_py.services import services_of


def same_key(given: str, expected: str | None) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def request_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return (connection.headers.get("apikey") or "").strip()


def is_global_key(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return same_key(request_key(connection), services_of(connection).settings.api_key)


async def instance_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Routes with `{instanceName}`: global key, or that instance's own token."""
    services = services_of(connection)
    name = connection.path_params.get("instanceName", "")
    if not await services.instances.exists(name):
        raise instance_not_found(name)
    key = request_key(connection)
    if not key:
        raise Unauthorized()
    if same_key(key, services.settings.api_key):
        return
    runtime = services.registry.get(name)
    if runtime is not None and same_key(key, runtime.token):
        return
    raise Unauthorized()


async def global_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not is_global_key(connection):
        raise Unauthorized()
