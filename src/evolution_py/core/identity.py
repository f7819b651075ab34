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
    NAME_UNSAFE = "name contains a control character or is '.' or '..'"
    TOKEN_TOO_LONG = "token too long"
    TOKEN_UNSAFE = "token contains a control character"
    INSTANCE_ID_INVALID = "instanceId too long or contains '/'"
    INSTANCE_ID_UNSAFE = "instanceId contains a control character or is '.' or '..'"


def has_control(text: str) -> bool:
    """Any control character (C0, DEL, C1): NUL breaks PostgreSQL text, CR/LF forge log lines and
    headers, and none of them belongs in a name that ends up in paths, logs and topic names."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def unusable_key(text: str) -> bool:
    """A name or id that no stored instance can have (so a lookup need not ask the database, which
    may refuse the text: PostgreSQL rejects NUL)."""
    return has_control(text)


def _segment_unsafe(text: str) -> bool:
    # '.' and '..' are path segments with a meaning of their own (a URL or a folder of that name).
    return has_control(text) or text in (".", "..")


def name_problem(name: str | None) -> IdentityProblem | None:
    """A name is a path segment of every v2 route: present, no '/', at most 255 characters, no
    control character, not '.' or '..'."""
    if name is None or not name.strip():
        return IdentityProblem.NAME_MISSING
    if "/" in name or len(name) > MAX_NAME_LENGTH:
        return IdentityProblem.NAME_INVALID
    if _segment_unsafe(name):
        return IdentityProblem.NAME_UNSAFE
    return None


def token_problem(token: str) -> IdentityProblem | None:
    if len(token) > MAX_TOKEN_LENGTH:
        return IdentityProblem.TOKEN_TOO_LONG
    if has_control(token):
        return IdentityProblem.TOKEN_UNSAFE
    return None


def instance_id_problem(instance_id: str) -> IdentityProblem | None:
    """An id is a path segment of the Go routes (and the primary key): no '/', at most 100 characters,
    no control character, not '.' or '..'."""
    if "/" in instance_id or len(instance_id) > MAX_INSTANCE_ID_LENGTH:
        return IdentityProblem.INSTANCE_ID_INVALID
    if _segment_unsafe(instance_id):
        return IdentityProblem.INSTANCE_ID_UNSAFE
    return None
