"""The Pusher sink: upstream's triggers, channel `<instance>`, event `<wire event>`, through Pusher's
signed REST API (per-instance app credentials from the instance's row, or PUSHER_GLOBAL_*).

As upstream: `destination` is the instance's app id (else the global one), `qrcode.updated` goes out
without `data.qrcode.base64`, and a payload over Pusher's 10 KB message limit is not sent (logged).
Unlike upstream, a trigger that fails for a reason that can pass (Pusher unreachable, 429, 5xx) is
retried until it lands.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
import msgspec

from evolution_py.events.event import Event
from evolution_py.events.names import QRCODE_UPDATED, subscription_key
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.sink import GLOBAL_SCOPE, INSTANCE_SCOPE, Delivery, DeliveryError
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.sinks.answers import failure_reason, read_prefix
from evolution_py.sinks.pusher.config import CLUSTER, PusherApp, PusherSettings
from evolution_py.sinks.pusher.signing import signed_query

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 10240  # Pusher's message size limit, measured on upstream's whole payload
CHANNEL_NAME = re.compile(r"^[-a-zA-Z0-9_=@,.;]{1,164}$")


def app_of_row(row: dict[str, Any] | None) -> PusherApp | None:
    """The app an instance's row names, when it is complete (upstream: no client otherwise)."""
    if not row or not row.get("enabled"):
        return None
    app_id, key, secret, cluster = (str(row.get(name) or "") for name in ("appId", "key", "secret", "cluster"))
    if not (app_id and key and secret and cluster) or not CLUSTER.match(cluster):
        return None
    return PusherApp(app_id=app_id, key=key, secret=secret, cluster=cluster, use_tls=bool(row.get("useTLS")))


class PusherSink:
    name = "pusher"
    max_in_flight = 64
    concurrency_per_target = 16
    # Pusher away is waited out, never dead-lettered: retry every 0.5 s, backing off to 15 s.
    retry_policy = RetryPolicy(max_attempts=2**31 - 1, initial_delay=0.5, max_delay=15.0, jitter=0.1)

    def __init__(self, settings: PusherSettings, subscriptions: Subscriptions) -> None:
        self.settings = settings
        self.subscriptions = subscriptions
        self._session: aiohttp.ClientSession | None = None
        self._encoder = msgspec.json.Encoder()

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.request_timeout))

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def plan(self, event: Event) -> list[Delivery]:
        key = subscription_key(event.event)
        row = await self.subscriptions.find("pusher", event.instance_id)
        own = app_of_row(row)
        wants_own = own is not None and row is not None and key in (row.get("events") or [])
        global_app = self.settings.global_app if self.settings.global_enabled else None
        wants_global = global_app is not None and key in self.settings.global_events
        if not (wants_own or wants_global):
            return []
        destination = (row or {}).get("appId") or (
            self.settings.global_app.app_id if self.settings.global_app else None
        )
        data = self._encoder.encode(self.payload(event, destination)).decode()
        if len(data.encode()) > MAX_PAYLOAD_BYTES:
            log.error(
                "pusher: %s of %s not sent: %d bytes exceed Pusher's limit", event.event, event.instance, len(data)
            )
            return []
        deliveries = []
        if wants_own and own is not None:
            deliveries.append(self._delivery(event, own, data, INSTANCE_SCOPE))
        if wants_global and global_app is not None:
            deliveries.append(self._delivery(event, global_app, data, GLOBAL_SCOPE))
        return deliveries

    def payload(self, event: Event, destination: str | None) -> dict[str, Any]:
        data = event.data
        if event.event == QRCODE_UPDATED and isinstance(data, dict) and isinstance(data.get("qrcode"), dict):
            data = {**data, "qrcode": {k: v for k, v in data["qrcode"].items() if k != "base64"}}
        body: dict[str, Any] = {"event": event.event, "instance": event.instance, "data": data}
        if destination:
            body["destination"] = destination
        body["date_time"] = event.date_time
        if event.sender:
            body["sender"] = event.sender
        if event.server_url:
            body["server_url"] = event.server_url
        body["apikey"] = event.apikey
        return body

    def _delivery(self, event: Event, app: PusherApp, data: str, scope: str) -> Delivery:
        # The secret is not copied into the outbox: it is looked up again when the trigger is sent.
        return Delivery(
            sink=self.name,
            target=f"{app.app_id}/{event.instance}",
            event=event,
            options={
                "app_id": app.app_id,
                "channel": event.instance,
                "name": event.event.replace("_", ".").lower(),
                "data": data,
                "scope": scope,
            },
        )

    async def _app_for(self, delivery: Delivery) -> PusherApp:
        app_id = str(delivery.options["app_id"])
        if delivery.options.get("scope") == GLOBAL_SCOPE:
            app = self.settings.global_app
        else:
            app = app_of_row(await self.subscriptions.find("pusher", delivery.event.instance_id))
        if app is None or app.app_id != app_id:
            raise DeliveryError(f"Pusher app {app_id} is no longer configured", retryable=False)
        return app

    async def send(self, delivery: Delivery) -> None:
        channel = str(delivery.options["channel"])
        if not CHANNEL_NAME.match(channel):
            raise DeliveryError(f"Pusher: {channel!r} is not a valid channel name", retryable=False)
        app = await self._app_for(delivery)
        body = self._encoder.encode(
            {"name": delivery.options["name"], "channels": [channel], "data": delivery.options["data"]}
        )
        path = f"/apps/{app.app_id}/events"
        host = self.settings.host or f"api-{app.cluster}.pusher.com"
        url = f"{'https' if app.use_tls else 'http'}://{host}{path}?{signed_query(app.key, app.secret, path, body)}"
        if self._session is None:
            raise DeliveryError("Pusher sink not started", retryable=True, retry_after=1.0)
        try:
            async with self._session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                if response.status == 200:
                    return
                await read_prefix(response)  # read (a short answer frees the connection), never kept
                reason = failure_reason(response.status)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"Pusher unreachable: {type(exc).__name__}", retryable=True, retry_after=1.0) from exc
        retryable = response.status == 429 or response.status >= 500
        raise DeliveryError(f"Pusher: {reason}", retryable=retryable, retry_after=2.0 if retryable else None)
