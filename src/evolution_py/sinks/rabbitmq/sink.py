"""The RabbitMQ sink: plans upstream's per-instance and global publishes, sends them with confirms."""

from __future__ import annotations

import logging

import msgspec

from evolution_py.events.event import Event
from evolution_py.events.names import subscription_key
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.sink import GLOBAL_SCOPE, INSTANCE_SCOPE, Delivery, DeliveryError
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.sinks.rabbitmq.config import RabbitSettings
from evolution_py.sinks.rabbitmq.connection import BrokerUnavailable, RabbitConnection, TopologyError

log = logging.getLogger(__name__)


class RabbitMQSink:
    name = "rabbitmq"
    # Sends the bus may run at once: each waits for its own confirm, so many in flight is what makes
    # confirmed publishing fast (one at a time is one broker round-trip per event).
    max_in_flight = 256
    concurrency_per_target = max_in_flight
    # A broker outage is waited out, never dead-lettered: retry every 0.2 s, backing off to 10 s.
    retry_policy = RetryPolicy(max_attempts=2**31 - 1, initial_delay=0.2, max_delay=10.0, jitter=0.1)

    def __init__(
        self,
        settings: RabbitSettings,
        subscriptions: Subscriptions,
        *,
        publish_timeout: float = 10.0,
        wait_for_broker: float = 0.5,
    ) -> None:
        self.settings = settings
        self.subscriptions = subscriptions
        self.connection = RabbitConnection(settings)
        self.publish_timeout = publish_timeout
        # A send that finds the connection down waits this long for it before asking the bus to
        # retry later: short blips cost no retry round-trip, long outages don't pin the worker.
        self.wait_for_broker = wait_for_broker
        self._encoder = msgspec.json.Encoder()

    async def start(self) -> None:
        await self.connection.start()

    async def stop(self) -> None:
        await self.connection.stop()

    async def plan(self, event: Event) -> list[Delivery]:
        key = subscription_key(event.event)
        deliveries: list[Delivery] = []
        row = await self.subscriptions.find("rabbitmq", event.instance_id)
        if row is not None and row.get("enabled") and key in (row.get("events") or []):
            # Per-instance mode: exchange named after the instance, queue <instance>.<wire event>.
            deliveries.append(self._delivery(event, event.instance, f"{event.instance}.{event.event}", INSTANCE_SCOPE))
        if self.settings.global_enabled and key in self.settings.global_events:
            deliveries.append(
                self._delivery(
                    event, self.settings.exchange_name, self.settings.global_queue(event.event), GLOBAL_SCOPE
                )
            )
        return deliveries

    def _delivery(self, event: Event, exchange: str, queue: str, scope: str) -> Delivery:
        return Delivery(
            sink=self.name,
            target=f"{exchange}/{event.event}",
            event=event,
            # scope: whose sink (the instance's own row, or the operator's global exchange).
            options={"exchange": exchange, "queue": queue, "routing_key": event.event, "scope": scope},
        )

    async def send(self, delivery: Delivery) -> None:
        options = delivery.options
        if not self.connection.connected and not await self.connection.wait_ready(self.wait_for_broker):
            raise DeliveryError("RabbitMQ is not connected", retryable=True, retry_after=1.0)
        body = self._encoder.encode(delivery.event.envelope())
        try:
            await self.connection.publish(
                str(options["exchange"]),
                str(options["queue"]),
                str(options["routing_key"]),
                body,
                message_id=delivery.event.id,
                confirm_within=self.publish_timeout,
            )
        except BrokerUnavailable as exc:
            raise DeliveryError(f"RabbitMQ: {exc}", retryable=True, retry_after=1.0) from exc
        except TopologyError as exc:
            raise DeliveryError(str(exc), retryable=False) from exc
