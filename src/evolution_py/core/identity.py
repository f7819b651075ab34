"""The rules an instance's identity (name, token, id) must meet, one set for both HTTP dialects.

Each dialect words the problem its own way (v2: `instanceName must be ...`, Go: `name must be ...`),
so these answer *which* rule failed, and the dialect raises its own error text and status.
"""

from __future__ import annotations

from enum import Enum

MAX_NAME_LENGTH = 255
MAX_TOKEN_LENGTH = 255
MAX_INSTANCE_ID_LENGTH = 100
PROXY_PROTOCOLS = ("http", "https", "socks4", "socks5")


class IdentityProblem(Enum):
    NAME_MISSING = "name missing"
    NAME_INVALID = "name too long or contains '/'"
    TOKEN_TOO_LONG = "token too long"
    INSTANCE_ID_INVALID = "instanceId too long or contains '/'"


def name_problem(name: str | None) -> IdentityProblem | None:
    """A name is a path segment of every v2 route: present, no '/', at most 255 characters."""
    if name is None or not name.strip():
        return IdentityProblem.NAME_MISSING
    if "/" in name or len(name) > MAX_NAME_LENGTH:
        return IdentityProblem.NAME_INVALID
    return None


def token_problem(token: str) -> IdentityProblem | None:
    return IdentityProblem.TOKEN_TOO_LONG if len(token) > MAX_TOKEN_LENGTH else None


def instance_id_problem(instance_id: str) -> IdentityProblem | None:
    """An id is a path segment of the Go routes (and the primary key): no '/', at most 100 characters."""
    if "/" in instance_id or len(instance_id) > MAX_INSTANCE_ID_LENGTH:
        return IdentityProblem.INSTANCE_ID_INVALID
    return None
