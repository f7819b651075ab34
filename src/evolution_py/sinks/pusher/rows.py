"""The per-instance Pusher row (upstream's rules): credentials and the shared event-list rule."""

from __future__ import annotations

from typing import Any

import msgspec

from evolution_py.errors import BadRequest
from evolution_py.events.subscriptions import normalize_events
from evolution_py.sinks.pusher.config import CLUSTER


class PusherConfig(msgspec.Struct, kw_only=True):
    """The `/pusher/set` block: every credential is required, as upstream's schema says."""

    enabled: bool
    appId: str
    key: str
    secret: str
    cluster: str
    useTLS: bool
    events: list[str] | None = None


def pusher_row(block: PusherConfig) -> dict[str, Any]:
    """The stored row; BadRequest for an empty credential or a cluster that is not a cluster name,
    SubscriptionError for an unknown event."""
    for name in ("appId", "key", "secret", "cluster"):
        value = getattr(block, name)
        if not value:
            raise BadRequest(f"pusher.{name} does not meet minimum length of 1")
        if len(value) > 100:
            raise BadRequest(f"pusher.{name} is longer than 100 characters")
    if not CLUSTER.match(block.cluster):
        # Ours: the cluster names the host the server calls (api-<cluster>.pusher.com).
        raise BadRequest("pusher.cluster must be a Pusher cluster name (lowercase letters, digits, dashes)")
    return {
        "enabled": block.enabled,
        "events": normalize_events("pusher", block.enabled, block.events),
        "appId": block.appId,
        "key": block.key,
        "secret": block.secret,
        "cluster": block.cluster,
        "useTLS": block.useTLS,
    }
