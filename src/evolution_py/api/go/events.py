"""Go subscriptions (`subscribe`, `webhookEvents`) onto the v2 event keys stored in the Webhook row.

Accepted spellings, so seed clients and Evolution Go clients both work:
- Evolution Go categories (`MESSAGE`, `CONNECTION`, ..., `ALL`), mapped by `GO_CATEGORIES`;
- v2 wire names as the seed writes them (`messages.upsert`, `connection.update`);
- v2 keys (`MESSAGES_UPSERT`).
Stored as v2 keys, so the same sinks deliver them; shown back to Go clients as the comma list of
wire names (`eventString`, `events`), which is the seed's form.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from evolution_py.events import names
from evolution_py.events.names import EVENT_KEYS, event_key

# What each Go category lets through, in v2 terms (contract evolution-go.md §3.2 → v2 Appendix B).
GO_CATEGORIES: dict[str, tuple[str, ...]] = {
    "MESSAGE": ("MESSAGES_UPSERT",),
    "SEND_MESSAGE": ("SEND_MESSAGE",),
    "READ_RECEIPT": ("MESSAGES_UPDATE",),
    "PRESENCE": ("PRESENCE_UPDATE",),
    "HISTORY_SYNC": ("MESSAGES_SET", "CHATS_SET", "CONTACTS_SET"),
    "CHAT_PRESENCE": ("PRESENCE_UPDATE", "CHATS_UPDATE"),
    "CALL": ("CALL",),
    "CONNECTION": ("CONNECTION_UPDATE", "LOGOUT_INSTANCE"),
    "LABEL": ("LABELS_EDIT", "LABELS_ASSOCIATION"),
    "CONTACT": ("CONTACTS_UPSERT", "CONTACTS_UPDATE"),
    "GROUP": ("GROUPS_UPSERT", "GROUP_UPDATE", "GROUP_PARTICIPANTS_UPDATE"),
    "NEWSLETTER": (),  # v2 has no newsletter events
    "QRCODE": ("QRCODE_UPDATED",),
    "ALL": EVENT_KEYS,
}

DEFAULT_KEYS: tuple[str, ...] = ("MESSAGES_UPSERT",)  # Go's default subscription is MESSAGE


def _wire_names() -> dict[str, str]:
    wires = [v for k, v in vars(names).items() if k.isupper() and isinstance(v, str) and "." in v]
    table = {event_key(wire): wire for wire in wires}
    # Upstream's one key that does not follow the rule: GROUP_UPDATE is emitted as `groups.update`.
    table["GROUP_UPDATE"] = names.GROUPS_UPDATE
    return table


WIRE_NAMES = _wire_names()


class UnknownEvents(ValueError):
    pass


def to_event_keys(values: Any, field: str) -> list[str]:
    """Map a Go subscription list onto v2 keys (order kept, duplicates dropped)."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise UnknownEvents(f"{field} must be an array of event names")
    keys: list[str] = []
    unknown: list[str] = []
    for value in values:
        mapped = _one(value.strip())
        if mapped is None:
            unknown.append(value)
            continue
        keys.extend(k for k in mapped if k not in keys)
    if unknown:
        raise UnknownEvents(
            f"{field}: unknown event(s) {', '.join(unknown)}; use Evolution Go categories "
            f"({', '.join(GO_CATEGORIES)}) or v2 event names such as messages.upsert"
        )
    return keys


def _one(value: str) -> tuple[str, ...] | None:
    if value.upper() in GO_CATEGORIES:
        return GO_CATEGORIES[value.upper()]
    key = event_key(value)
    if key == "GROUPS_UPDATE":
        key = "GROUP_UPDATE"
    if key in EVENT_KEYS:
        return (key,)
    return None


def event_string(keys: Iterable[str] | None) -> str:
    """Stored v2 keys as the seed's comma list of wire names: `messages.upsert,connection.update`."""
    return ",".join(WIRE_NAMES.get(k, k.lower()) for k in keys or ())
