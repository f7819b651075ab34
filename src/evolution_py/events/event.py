"""The one Event type every producer publishes and every sink consumes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec


def iso_ms(moment: datetime) -> str:
    """`2025-05-01T10:00:00.123Z`: a UTC datetime (aware or naive) as upstream and Prisma write it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_iso(moment: datetime | None = None) -> str:
    """ISO-8601 in true UTC with milliseconds and `Z`, as upstream writes `date_time` in Docker."""
    return iso_ms((moment or datetime.now(UTC)).astimezone(UTC))


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
    id: str = msgspec.field(default_factory=lambda: uuid.uuid4().hex)

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
