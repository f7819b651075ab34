"""Event names: the wire names sinks see and the upper-snake keys configs list."""

from __future__ import annotations

# Wire names upstream emits (Appendix B of the HTTP contract).
APPLICATION_STARTUP = "application.startup"
INSTANCE_CREATE = "instance.create"
INSTANCE_DELETE = "instance.delete"
QRCODE_UPDATED = "qrcode.updated"
CONNECTION_UPDATE = "connection.update"
STATUS_INSTANCE = "status.instance"
MESSAGES_SET = "messages.set"
MESSAGES_UPSERT = "messages.upsert"
MESSAGES_EDITED = "messages.edited"
MESSAGES_UPDATE = "messages.update"
MESSAGES_DELETE = "messages.delete"
SEND_MESSAGE = "send.message"
SEND_MESSAGE_UPDATE = "send.message.update"
CONTACTS_SET = "contacts.set"
CONTACTS_UPSERT = "contacts.upsert"
CONTACTS_UPDATE = "contacts.update"
PRESENCE_UPDATE = "presence.update"
CHATS_SET = "chats.set"
CHATS_UPSERT = "chats.upsert"
CHATS_UPDATE = "chats.update"
CHATS_DELETE = "chats.delete"
GROUPS_UPSERT = "groups.upsert"
GROUPS_UPDATE = "groups.update"
GROUP_PARTICIPANTS_UPDATE = "group-participants.update"
LABELS_EDIT = "labels.edit"
LABELS_ASSOCIATION = "labels.association"
CALL = "call"
TYPEBOT_START = "typebot.start"
TYPEBOT_CHANGE_STATUS = "typebot.change-status"
REMOVE_INSTANCE = "remove.instance"
LOGOUT_INSTANCE = "logout.instance"

# The 31 keys accepted in a per-instance `events` list, in upstream's order.
EVENT_KEYS: tuple[str, ...] = (
    "APPLICATION_STARTUP",
    "QRCODE_UPDATED",
    "MESSAGES_SET",
    "MESSAGES_UPSERT",
    "MESSAGES_EDITED",
    "MESSAGES_UPDATE",
    "MESSAGES_DELETE",
    "SEND_MESSAGE",
    "SEND_MESSAGE_UPDATE",
    "CONTACTS_SET",
    "CONTACTS_UPSERT",
    "CONTACTS_UPDATE",
    "PRESENCE_UPDATE",
    "CHATS_SET",
    "CHATS_UPSERT",
    "CHATS_UPDATE",
    "CHATS_DELETE",
    "GROUPS_UPSERT",
    "GROUP_UPDATE",
    "GROUP_PARTICIPANTS_UPDATE",
    "CONNECTION_UPDATE",
    "LABELS_EDIT",
    "LABELS_ASSOCIATION",
    "CALL",
    "TYPEBOT_START",
    "TYPEBOT_CHANGE_STATUS",
    "REMOVE_INSTANCE",
    "LOGOUT_INSTANCE",
    "INSTANCE_CREATE",
    "INSTANCE_DELETE",
    "STATUS_INSTANCE",
)


def event_key(wire_name: str) -> str:
    """`group-participants.update` → `GROUP_PARTICIPANTS_UPDATE` (upstream's rule)."""
    return wire_name.replace(".", "_").replace("-", "_").upper()


def kebab_suffix(wire_name: str) -> str:
    """`messages.upsert` → `messages-upsert`: the by-events webhook URL suffix."""
    return event_key(wire_name).lower().replace("_", "-")
