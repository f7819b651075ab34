"""Who may call a Go route: the global key for admin routes, an instance token for token routes.

Fixes of upstream (docs/compatibility.md): keys compare in constant time; a token selects only its
own instance; advanced-settings (token routes upstream, admin routes in the seed) take the global key
or the token of the instance named in the path, never another instance's token.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from evolution_py.api.auth import is_global_key, request_key, same_key
from evolution_py.api.go.envelope import INSTANCE_NOT_FOUND, NOT_AUTHORIZED, GoError
from evolution_py.core.registry import InstanceRegistry
from evolution_py.core.runtime import InstanceRuntime


def require_global_key(request: Request[Any, Any, Any]) -> None:
    if not is_global_key(request):
        raise GoError(NOT_AUTHORIZED, 401)


def instance_of_token(request: Request[Any, Any, Any], registry: InstanceRegistry) -> InstanceRuntime:
    """The one instance whose token is the `apikey` header (the global key is not a token)."""
    key = request_key(request)
    if not key or is_global_key(request):
        raise GoError(NOT_AUTHORIZED, 401)
    matches = registry.find_by_token(key)
    if not matches:
        raise GoError(NOT_AUTHORIZED, 401)
    if len(matches) > 1:
        # v2 lets two instances share a token; a token-only route then cannot know which one is meant.
        raise GoError("this token belongs to more than one instance; use the v2 routes that name it", 409)
    return matches[0]


def admin_instance(request: Request[Any, Any, Any], registry: InstanceRegistry, instance_id: str) -> InstanceRuntime:
    """Admin routes: global key, then the instance by id or by name."""
    require_global_key(request)
    return path_instance(registry, instance_id)


def path_instance(registry: InstanceRegistry, instance_id: str) -> InstanceRuntime:
    runtime = registry.resolve(instance_id)
    if runtime is None:
        raise GoError(INSTANCE_NOT_FOUND, 404)
    return runtime


def instance_for_settings(
    request: Request[Any, Any, Any], registry: InstanceRegistry, instance_id: str
) -> InstanceRuntime:
    """Global key for any instance, or the token of the instance in the path."""
    key = request_key(request)
    if not key:
        raise GoError(NOT_AUTHORIZED, 401)
    if is_global_key(request):
        return path_instance(registry, instance_id)
    runtime = registry.resolve(instance_id)
    # Unknown instance and someone else's instance answer alike, so a token cannot probe for ids.
    if runtime is None or not same_key(key, runtime.token):
        raise GoError(NOT_AUTHORIZED, 401)
    return runtime
