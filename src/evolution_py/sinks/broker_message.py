"""The message upstream's NATS, SQS, Kafka and Pusher controllers build from an event.

Upstream writes `{event, instance, data, server_url, date_time, sender, apikey}` and lets
`JSON.stringify` drop the keys whose value is undefined (no sender before login, no server url when
SERVER_URL is unset); `apikey` is null when the instance has none.
"""

from __future__ import annotations

from typing import Any

from evolution_py.events.event import Event


def broker_message(event: Event) -> dict[str, Any]:
    body: dict[str, Any] = {"event": event.event, "instance": event.instance, "data": event.data}
    if event.server_url:
        body["server_url"] = event.server_url
    body["date_time"] = event.date_time
    if event.sender:
        body["sender"] = event.sender
    body["apikey"] = event.apikey
    return body
