"""Who may open which namespace (socket.io) or stream (/ws).

Upstream accepts any instance token (or the global key) for every namespace, so one tenant can read
another's events. Here the global key opens everything; an instance token opens only `/<its name>`;
namespace `/` (global events) needs the global key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from evolution_py.api.auth import same_key
from evolution_py.services import Services


class AccessDenied(Exception):
    """Refused; the message is what the client sees (upstream's wording where it has one)."""


def handshake_key(environ: Mapping[str, Any], auth: Any) -> str:
    """`apikey` from the socket.io `auth` payload, the query string, or the `apikey` header."""
    if isinstance(auth, dict):
        value = auth.get("apikey") or auth.get("apiKey")
        if isinstance(value, str) and value.strip():
            return value.strip()
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    if query.get("apikey"):
        return query["apikey"][0].strip()
    return str(environ.get("HTTP_APIKEY", "")).strip()


def remote_address(environ: Mapping[str, Any]) -> str:
    # engineio's ASGI environ always says REMOTE_ADDR=127.0.0.1; the real peer is in the ASGI scope.
    scope = environ.get("asgi.scope") or {}
    client = scope.get("client")
    return str(client[0]) if client else ""


def authorize(services: Services, allowed_hosts: frozenset[str], namespace: str, key: str, remote: str) -> None:
    """Raise AccessDenied unless `key` (or the remote host) may read `namespace` ("/" or "/<instance>")."""
    instance_name = namespace[1:] if namespace != "/" else None
    runtime = services.manager.get(instance_name) if instance_name else None
    if instance_name and runtime is None:
        raise AccessDenied("Invalid namespace")
    if remote and remote in allowed_hosts:
        return
    if not key:
        raise AccessDenied("apiKey is required")
    if same_key(key, services.settings.api_key):
        return
    if runtime is not None and same_key(key, runtime.token):
        return
    raise AccessDenied("Invalid global token" if instance_name is None else "Authentication error")
