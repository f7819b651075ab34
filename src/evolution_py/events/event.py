"""The one Event type every producer publishes and every sink consumes."""

from __future__ import annotations

from typing import Any

import msgspec

from evolution_py.ids import uuid4_hex
from evolution_py.isotime import utc_iso


class Event(msgspec.Struct, kw_only=True):
    """One fact about one instance. `id` is stable across retries and restarts (the dedupe key)."""

    event: str  # wire name, e.g. "messages.upsert"
    instance: str  # instance name
    instance_id: str
    data: Any
    date_time: str = msgspec.field(default_factory=utc_iso)
    sender: str | None = None  # the instance's own JID once it has logged in
    server_url: str | None = None
    apikey: str | None = None
    id: str = msgspec.field(default_factory=uuid4_hex)

    def envelope(self, destination: str | None = None, *, with_destination: bool = False) -> dict[str, Any]:
        """The upstream payload; `destination` only for webhooks, keys ordered as upstream."""
        body: dict[str, Any] = {"event": self.event, "instance": self.instance, "data": self.data}
        if with_destination:
            body["destination"] = destination
        body["date_time"] = self.date_time
        if self.sender:
            body["sender"] = self.sender
        if self.server_url:
            body["server_url"] = self.server_url
        body["apikey"] = self.apikey
        return body
