"""The per-instance row of an events-only sink (websocket, rabbitmq, nats, sqs): `{enabled, events}`.

Upstream's rules, the same for the `/instance/create` block and the `/<sink>/set` route: `enabled:false`
stores `[]`, `enabled:true` with `[]` stores all 31 keys, an unknown key is refused.
"""

from __future__ import annotations

from typing import Any

import msgspec

from evolution_py.dto.instance import EventsBlock
from evolution_py.events.subscriptions import normalize_events


class EventsConfig(msgspec.Struct, kw_only=True):
    """The `/<sink>/set` block (`{"<sink>": {"enabled": bool, "events": [...]}}`)."""

    enabled: bool
    events: list[str] | None = None


def events_row(kind: str, enabled: bool, events: list[str] | None) -> dict[str, Any]:
    """The stored row; SubscriptionError names an unknown key."""
    return {"enabled": enabled, "events": normalize_events(kind, enabled, events)}


def row_from_create_block(kind: str, switched_on: bool, block: EventsBlock | None) -> dict[str, Any] | None:
    """The row a `/instance/create` block asks for; ignored (None) while the sink is switched off."""
    if block is None or not switched_on:
        return None
    return events_row(kind, block.enabled is not False, block.events)
