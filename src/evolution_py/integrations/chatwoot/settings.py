"""An instance's Chatwoot settings: upstream's request schema, the `Chatwoot` row, and a cache of
rows by instance id so the bus's `wants` is a dictionary lookup."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import quote

import msgspec
from sqlalchemy import delete, select

from evolution_py.dto.jsonschema import Schema, not_empty
from evolution_py.store.db import Database
from evolution_py.store.models import Chatwoot
from evolution_py.store.safe_text import safe_optional, safe_text

_REQUIRED = ("enabled", "accountId", "token", "url", "signMsg", "reopenConversation", "conversationPending")
_BOOL: Schema = {"type": "boolean", "enum": [True, False]}

SET_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "enabled": _BOOL,
        "accountId": {"type": "string"},
        "token": {"type": "string"},
        "url": {"type": "string"},
        "signMsg": _BOOL,
        "signDelimiter": {"type": ["string", "null"]},
        "nameInbox": {"type": ["string", "null"]},
        "reopenConversation": _BOOL,
        "conversationPending": _BOOL,
        "autoCreate": _BOOL,
        "importContacts": _BOOL,
        "mergeBrazilContacts": _BOOL,
        "importMessages": _BOOL,
        "daysLimitImportMessages": {"type": "number"},
        "ignoreJids": {"type": "array", "items": {"type": "string"}},
    },
    "required": list(_REQUIRED),
    **not_empty(*_REQUIRED),
}


class ChatwootSettings(msgspec.Struct, kw_only=True):
    """The request body of `/chatwoot/set` and the stored row, by upstream's field names."""

    enabled: bool | None = None
    accountId: str | None = None
    token: str | None = None
    url: str | None = None
    nameInbox: str | None = None
    signMsg: bool | None = None
    signDelimiter: str | None = None
    number: str | None = None
    reopenConversation: bool | None = None
    conversationPending: bool | None = None
    mergeBrazilContacts: bool | None = None
    importContacts: bool | None = None
    importMessages: bool | None = None
    daysLimitImportMessages: int | float | None = None
    organization: str | None = None
    logo: str | None = None
    ignoreJids: list[str] | None = None
    autoCreate: bool | None = None  # not stored: asks `/chatwoot/set` to create the inbox

    @property
    def active(self) -> bool:
        return bool(self.enabled and self.url and self.accountId and self.token)


def webhook_secret(instance_id: str, token: str | None) -> str:
    """The per-instance secret of the inbound webhook URL, derived from the instance's token (which
    never leaves the server with it): whoever guesses the URL cannot send as the instance."""
    key = (token or instance_id).encode()
    return hmac.new(key, f"chatwoot-webhook:{instance_id}".encode(), hashlib.sha256).hexdigest()[:40]


def webhook_url(server_url: str, name: str, instance_id: str, token: str | None) -> str:
    return f"{server_url}/chatwoot/webhook/{quote(name, safe='')}?key={webhook_secret(instance_id, token)}"


def found_body(row: ChatwootSettings) -> dict[str, Any]:
    """`/chatwoot/find`'s fields, as upstream's channel service reads the row back."""
    return {
        "enabled": row.enabled,
        "accountId": row.accountId,
        "token": row.token,
        "url": row.url,
        "nameInbox": row.nameInbox,
        "signMsg": row.signMsg,
        "signDelimiter": row.signDelimiter or None,
        "reopenConversation": row.reopenConversation,
        "conversationPending": row.conversationPending,
        "mergeBrazilContacts": row.mergeBrazilContacts,
        "importContacts": row.importContacts,
        "importMessages": row.importMessages,
        "daysLimitImportMessages": row.daysLimitImportMessages,
        "organization": row.organization,
        "logo": row.logo,
        "ignoreJids": [str(jid) for jid in row.ignoreJids or []],
    }


_MAX_IGNORED = 1000
_STORED = tuple(field for field in ChatwootSettings.__struct_fields__ if field != "autoCreate")
_LIMITS = {
    "accountId": 100,
    "token": 100,
    "url": 500,
    "nameInbox": 100,
    "signDelimiter": 100,
    "number": 100,
    "organization": 100,
    "logo": 500,
}


class SettingsStore:
    """The `Chatwoot` rows, cached by instance id (one process writes them; `/chatwoot/set` refreshes)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: dict[str, ChatwootSettings | None] = {}

    async def get(self, instance_id: str) -> ChatwootSettings | None:
        if instance_id in self._cache:
            return self._cache[instance_id]
        async with self._db.session() as session:
            row = (
                await session.execute(select(Chatwoot).where(Chatwoot.instanceId == instance_id))
            ).scalar_one_or_none()
        found = None if row is None else ChatwootSettings(**{field: getattr(row, field) for field in _STORED})
        if found is not None and isinstance(found.daysLimitImportMessages, float):
            found.daysLimitImportMessages = int(found.daysLimitImportMessages)
        self._cache[instance_id] = found
        return found

    async def save(self, instance_id: str, data: ChatwootSettings) -> None:
        values: dict[str, Any] = {field: getattr(data, field) for field in _STORED}
        for field, limit in _LIMITS.items():
            values[field] = safe_optional(values[field], limit)
        if values["ignoreJids"] is not None:  # bounded like every outside text we keep
            values["ignoreJids"] = [safe_text(str(jid), 128) for jid in values["ignoreJids"][:_MAX_IGNORED]]
        if values["daysLimitImportMessages"] is not None:
            values["daysLimitImportMessages"] = int(values["daysLimitImportMessages"])
        if not data.signMsg:
            values["signDelimiter"] = None
        async with self._db.transaction() as session:
            row = (
                await session.execute(select(Chatwoot).where(Chatwoot.instanceId == instance_id))
            ).scalar_one_or_none()
            if row is None:
                session.add(Chatwoot(instanceId=instance_id, **values))
            else:
                for field, value in values.items():
                    setattr(row, field, value)
        self._cache.pop(instance_id, None)

    async def remove(self, instance_id: str) -> None:
        async with self._db.transaction() as session:
            await session.execute(delete(Chatwoot).where(Chatwoot.instanceId == instance_id))
        self._cache.pop(instance_id, None)

    def forget(self, instance_id: str) -> None:
        self._cache.pop(instance_id, None)
