"""Who may open which namespace (socket.io) or stream (/ws).

Upstream accepts any instance token (or the global key) for every namespace, so one tenant can read
another's events. Here the global key opens everything; an instance token opens only `/<its name>`;
namespace `/` (global events) needs the global key.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from evolution_py.sinks.kind import InstanceDirectory


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


def _same_key(given: str, expected: str | None) -> bool:
    # Constant time, as api/auth.py's guards compare keys (sinks do not import the HTTP layer).
    return bool(expected) and hmac.compare_digest(given.encode(), str(expected).encode())


@dataclass(frozen=True)
class NamespaceAccess:
    """Who may read which namespace: the global key, an instance's own token, an allowed host."""

    api_key: str
    instances: InstanceDirectory
    allowed_hosts: frozenset[str] = frozenset()

    def authorize(self, namespace: str, key: str, remote: str) -> None:
        """Raise AccessDenied unless `key` (or the remote host) may read `namespace` ("/" or "/<instance>")."""
        instance_name = namespace[1:] if namespace != "/" else None
        runtime = self.instances.get(instance_name) if instance_name else None
        if instance_name and runtime is None:
            raise AccessDenied("Invalid namespace")
        if remote and remote in self.allowed_hosts:
            return
        if not key:
            raise AccessDenied("apiKey is required")
        if _same_key(key, self.api_key):
            return
        if runtime is not None and _same_key(key, runtime.token):
            return
        raise AccessDenied("Invalid global token" if instance_name is None else "Authentication error")
