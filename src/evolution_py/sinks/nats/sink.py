"""The NATS sink: upstream's per-instance subjects `<instance>.<wire event>` and global subjects
`[<NATS_PREFIX_KEY>.]<wire event>`, each publish confirmed by the server (see connection.py)."""

from __future__ import annotations

import msgspec

from evolution_py.events.event import Event
from evolution_py.events.names import subscription_key
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.sink import GLOBAL_SCOPE, INSTANCE_SCOPE, Delivery, DeliveryError
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.sinks.broker_message import broker_message
from evolution_py.sinks.nats.config import NatsSettings
from evolution_py.sinks.nats.connection import NatsConnection, NatsRefused, NatsUnavailable, valid_subject


class NatsSink:
    name = "nats"
    # Each send waits for its own ack or flush: many in flight is what keeps that fast.
    max_in_flight = 256
    concurrency_per_target = max_in_flight
    # An outage is waited out, never dead-lettered: retry every 0.2 s, backing off to 10 s.
    retry_policy = RetryPolicy(max_attempts=2**31 - 1, initial_delay=0.2, max_delay=10.0, jitter=0.1)

    def __init__(self, settings: NatsSettings, subscriptions: Subscriptions, *, wait_for_server: float = 0.5) -> None:
        self.settings = settings
        self.subscriptions = subscriptions
        self.connection = NatsConnection(settings)
        # A send that finds the connection down waits this long before asking the bus to retry later.
        self.wait_for_server = wait_for_server
        self._encoder = msgspec.json.Encoder()

    async def start(self) -> None:
        await self.connection.start()

    async def stop(self) -> None:
        await self.connection.stop()

    async def plan(self, event: Event) -> list[Delivery]:
        key = subscription_key(event.event)
        deliveries: list[Delivery] = []
        row = await self.subscriptions.find("nats", event.instance_id)
        if row is not None and row.get("enabled") and key in (row.get("events") or []):
            deliveries.append(self._delivery(event, f"{event.instance}.{event.event.lower()}", INSTANCE_SCOPE))
        if self.settings.global_enabled and key in self.settings.global_events:
            deliveries.append(self._delivery(event, self.settings.global_subject(event.event.lower()), GLOBAL_SCOPE))
        return deliveries

    def _delivery(self, event: Event, subject: str, scope: str) -> Delivery:
        return Delivery(sink=self.name, target=subject, event=event, options={"subject": subject, "scope": scope})

    async def send(self, delivery: Delivery) -> None:
        subject = str(delivery.options["subject"])
        if not valid_subject(subject):
            raise DeliveryError(f"NATS: {subject!r} is not a valid subject", retryable=False)
        if not self.connection.connected and not await self.connection.wait_ready(self.wait_for_server):
            raise DeliveryError("NATS is not connected", retryable=True, retry_after=1.0)
        payload = self._encoder.encode(broker_message(delivery.event))
        try:
            # The event id and subject: the same delivery retried is one message in a JetStream stream.
            await self.connection.publish(subject, payload, f"{delivery.event.id}:{subject}")
        except NatsUnavailable as exc:
            raise DeliveryError(f"NATS: {exc}", retryable=True, retry_after=1.0) from exc
        except NatsRefused as exc:
            raise DeliveryError(f"NATS: {exc}", retryable=False) from exc
