"""Where a Go client's webhook URL and subscription land: the same Webhook row (and Rabbitmq/Websocket/
Nats rows) the v2 `/webhook/set` route edits, so the same sinks deliver and both dialects see it."""

from __future__ import annotations

import re
from typing import Any

from evolution_py.api.go.envelope import GoError
from evolution_py.api.go.events import DEFAULT_KEYS, UnknownEvents, to_event_keys
from evolution_py.core.runtime import InstanceRuntime
from evolution_py.events.subscriptions import Subscriptions

_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
# Go's per-instance transport switches (connect body) and the v2 sink rows they turn on.
TRANSPORT_FLAGS = {"rabbitmqEnable": "rabbitmq", "websocketEnable": "websocket", "natsEnable": "nats"}


def parse_events(body: dict[str, Any], field: str) -> list[str] | None:
    """The mapped v2 keys, or None when the field is absent or empty (keep what is stored)."""
    values = body.get(field)
    if values is None or values == []:
        return None
    try:
        return to_event_keys(values, field)
    except UnknownEvents as exc:
        raise GoError(str(exc)) from None


def parse_url(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise GoError(f"{field} must be a string")
    value = value.strip()
    if value and not _URL.match(value):
        raise GoError(f"{field} must be an http:// or https:// URL")
    if len(value) > 500:
        raise GoError(f"{field} must be at most 500 characters")
    return value


def parse_transports(body: dict[str, Any]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for field, kind in TRANSPORT_FLAGS.items():
        value = body.get(field)
        if value is None:
            continue
        if isinstance(value, bool):
            out[kind] = value
        elif isinstance(value, str):
            out[kind] = value.strip().lower() in ("enabled", "true")
        else:
            raise GoError(f'{field} must be "enabled" or "disabled"')
    return out


async def save_subscription(
    subscriptions: Subscriptions,
    runtime: InstanceRuntime,
    *,
    url: str | None,
    keys: list[str] | None,
    transports: dict[str, bool] | None = None,
) -> dict[str, Any] | None:
    """Update the Webhook row: a given URL replaces the stored one ("" turns the webhook off), given
    events replace the stored ones; what is not given is kept. Returns the row (None if none)."""
    current = await subscriptions.find("webhook", runtime.id)
    if url is None and keys is None and current is None and not transports:
        return None
    stored_url = current["url"] if current else ""
    stored_keys = list(current["events"] or []) if current else []
    new_url = stored_url if url is None else url
    new_keys = keys if keys is not None else (stored_keys or list(DEFAULT_KEYS))
    row = await subscriptions.save(
        "webhook", runtime.id, {"url": new_url, "enabled": bool(new_url), "events": new_keys}
    )
    for kind, enabled in (transports or {}).items():
        await subscriptions.save(kind, runtime.id, {"enabled": enabled, "events": new_keys if enabled else []})
    await runtime.log("INFO", "Webhook subscription updated", url=new_url, events=new_keys)
    return row
