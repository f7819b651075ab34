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


# Keys that have a global `<SINK>_EVENTS_<KEY>` env flag (webhook, RabbitMQ, NATS, ...): the
# per-instance list minus the three instance-only events. `GROUP_UPDATE` is read from the env name
# `..._EVENTS_GROUPS_UPDATE`, as upstream does.
GLOBAL_EVENT_KEYS: tuple[str, ...] = tuple(
    key for key in EVENT_KEYS if key not in ("STATUS_INSTANCE", "REMOVE_INSTANCE", "LOGOUT_INSTANCE")
)


def global_env_name(prefix: str, key: str) -> str:
    """`("RABBITMQ", "GROUP_UPDATE")` → `RABBITMQ_EVENTS_GROUPS_UPDATE`."""
    return f"{prefix}_EVENTS_{'GROUPS_UPDATE' if key == 'GROUP_UPDATE' else key}"


def subscription_key(wire_name: str) -> str:
    """The key a sink looks up in a subscription list for this wire name.

    Upstream looks up `GROUPS_UPDATE` for `groups.update`, a key no list can hold (the list says
    `GROUP_UPDATE`), so it never delivers that event; we map it to `GROUP_UPDATE` so it arrives.
    """
    key = event_key(wire_name)
    return "GROUP_UPDATE" if key == "GROUPS_UPDATE" else key


def wire_names_of_key(key: str) -> list[str]:
    """The wire names a subscription key selects (inverse of `subscription_key`)."""
    return [wire for wire in ALL_WIRE_NAMES if subscription_key(wire) == key]


ALL_WIRE_NAMES: tuple[str, ...] = (
    APPLICATION_STARTUP,
    INSTANCE_CREATE,
    INSTANCE_DELETE,
    QRCODE_UPDATED,
    CONNECTION_UPDATE,
    STATUS_INSTANCE,
    MESSAGES_SET,
    MESSAGES_UPSERT,
    MESSAGES_EDITED,
    MESSAGES_UPDATE,
    MESSAGES_DELETE,
    SEND_MESSAGE,
    SEND_MESSAGE_UPDATE,
    CONTACTS_SET,
    CONTACTS_UPSERT,
    CONTACTS_UPDATE,
    PRESENCE_UPDATE,
    CHATS_SET,
    CHATS_UPSERT,
    CHATS_UPDATE,
    CHATS_DELETE,
    GROUPS_UPSERT,
    GROUPS_UPDATE,
    GROUP_PARTICIPANTS_UPDATE,
    LABELS_EDIT,
    LABELS_ASSOCIATION,
    CALL,
    TYPEBOT_START,
    TYPEBOT_CHANGE_STATUS,
    REMOVE_INSTANCE,
    LOGOUT_INSTANCE,
)
