"""How an instance looks to Go clients: the seed's fields, computed from the live channel state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evolution_py.api.go.events import event_string
from evolution_py.core.runtime import InstanceRuntime
from evolution_py.events.subscriptions import Subscriptions


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_open(runtime: InstanceRuntime) -> bool:
    """The live state, read anew (a plain `== "open"` after an await is narrowed away by mypy)."""
    return runtime.channel.state == "open"


def connection_flags(runtime: InstanceRuntime) -> tuple[bool, bool]:
    """The seed's (connected, loggedIn) pair from the channel's real state:
    open → (true, true); connecting (waiting for a QR scan or a pairing code) → (true, false);
    closed with a session the channel still holds → (false, true); closed without one → (false, false)."""
    state = runtime.channel.state
    if state == "open":
        return True, True
    if state == "connecting":
        return True, False
    return False, bool(runtime.channel.owner_jid)


async def instance_record(subscriptions: Subscriptions, runtime: InstanceRuntime) -> dict[str, Any]:
    """`GET /instance/info` (and each item of `/instance/all`): the seed's fields plus `loggedIn` and `status`."""
    webhook = await subscriptions.find("webhook", runtime.id)
    _connected, logged_in = connection_flags(runtime)
    return {
        "id": runtime.id,
        "name": runtime.name,
        "token": runtime.token,
        "webhook": (webhook or {}).get("url") or "",
        "events": event_string((webhook or {}).get("events")),
        "connected": runtime.channel.state == "open",
        "loggedIn": logged_in,
        "status": runtime.channel.state,
        "jid": runtime.channel.owner_jid or None,
        "createdAt": iso(runtime.created_at),
    }
