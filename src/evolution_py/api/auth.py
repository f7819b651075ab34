"""Guards, in upstream's order: the instance must exist (404) before the key is checked (401).

Fixes upstream's holes: keys compare in constant time, an instance token acts only on its own
instance, and nothing in the query string changes which instance a call acts on.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from evolution_py.errors import Unauthorized, instance_not_found
from evolution_py.services import services_of


def same_key(given: str, expected: str | None) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def request_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The first `apikey` header, from the raw ASGI headers (any case): building the
    request's header object for this one look-up cost more than the guard itself (issue 18)."""
    for name, value in connection.scope["headers"]:
        if len(name) == 6 and name.lower() == b"apikey":
            return value.decode("latin-1").strip()
    return ""


def is_global_key(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return same_key(request_key(connection), services_of(connection).settings.api_key)


async def instance_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Routes with `{instanceName}`: global key, or that instance's own token."""
    services = services_of(connection)
    name = connection.path_params.get("instanceName", "")
    # A loaded instance exists (what `exists` checks first): no coroutine for the polled routes' guard.
    runtime = services.registry.get(name)
    if runtime is None:
        if not await services.instances.exists(name):
            raise instance_not_found(name)
        runtime = services.registry.get(name)  # it may have loaded while the store answered
    token = runtime.token if runtime is not None else None
    if not key_opens(request_key(connection), services.settings.api_key, token):
        raise Unauthorized()


def key_opens(key: str, api_key: str | None, instance_token: str | None) -> bool:
    """Whether `key` opens an instance's routes: the global key, or that instance's own token
    (constant time; an empty key opens nothing). Also api/polled_state.py's rule."""
    return bool(key) and (same_key(key, api_key) or same_key(key, instance_token))


async def global_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not is_global_key(connection):
        raise Unauthorized()


# Guards that never look at their second argument (the route handler).
_HANDLER_BLIND_GUARDS = frozenset({instance_guard, global_guard})


def skip_guard_copies(app: Litestar) -> int:
    """Run these guards without Litestar's per-request `copy(handler)` (issue 18).

    Litestar's `authorize_connection` passes every guard a shallow copy of the route handler, so a
    guard may not mutate the shared one; the copy costs ~8 µs a request (a py-spy profile of
    connectionState under wrk: ~5-8 % of the server's samples). Our two guards ignore the handler, so
    for a handler whose guards are all ours, its `authorize_connection` is replaced (on the instance,
    not Litestar's class) by one that awaits the same guards in the same order without the copy.
    Any other guard keeps Litestar's behaviour. Returns the number of handlers changed."""
    changed = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            guards = list(handler.resolve_guards())
            if not guards or not all(guard in _HANDLER_BLIND_GUARDS for guard in guards):
                continue
            if not hasattr(handler, "__dict__"):
                continue  # a slotted handler class: nothing to shadow
            handler.authorize_connection = _authorize_without_copy(guards, handler)
            changed += 1
    return changed


def _authorize_without_copy(
    guards: list[Any], handler: BaseRouteHandler
) -> Callable[[ASGIConnection[Any, Any, Any, Any]], Awaitable[None]]:
    async def authorize_connection(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        for guard in guards:
            await guard(connection, handler)

    return authorize_connection
