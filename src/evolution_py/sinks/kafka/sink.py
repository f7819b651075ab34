"""The Kafka sink: upstream's topics `<KAFKA_TOPIC_PREFIX>.<instance>.<wire event>` (key: the instance)
and `<prefix>.global.<wire event>` (key: `<instance>-<wire event>`), headers `event`, `instance`,
`origin`, `timestamp`, and upstream's value `{event, instance, data, server_url, date_time, sender,
apikey, timestamp}`. Each record waits for the brokers' ack (acks=all)."""

from __future__ import annotations

import re
import time

import msgspec

from evolution_py.events.event import Event
from evolution_py.events.names import subscription_key
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.sink import GLOBAL_SCOPE, INSTANCE_SCOPE, Delivery, DeliveryError
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.sinks.broker_message import broker_message
from evolution_py.sinks.kafka.config import KafkaSettings
from evolution_py.sinks.kafka.producer import KafkaProducer, KafkaRefused, KafkaUnavailable

TOPIC_NAME = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")
ORIGIN = "evolution-py"  # upstream puts the emitting service's class name here


class KafkaSink:
    name = "kafka"
    max_in_flight = 256
    concurrency_per_target = max_in_flight
    # The brokers away are waited out, never dead-lettered: retry every 0.5 s, backing off to 15 s.
    retry_policy = RetryPolicy(max_attempts=2**31 - 1, initial_delay=0.5, max_delay=15.0, jitter=0.1)

    def __init__(self, settings: KafkaSettings, subscriptions: Subscriptions, *, wait_for_brokers: float = 0.5) -> None:
        self.settings = settings
        self.subscriptions = subscriptions
        self.producer = KafkaProducer(settings)
        self.wait_for_brokers = wait_for_brokers
        self._encoder = msgspec.json.Encoder()

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def plan(self, event: Event) -> list[Delivery]:
        key = subscription_key(event.event)
        deliveries: list[Delivery] = []
        # Upstream stamps `timestamp: Date.now()` at emit; taken here, it is the same on every retry.
        now_ms = int(time.time() * 1000)
        row = await self.subscriptions.find("kafka", event.instance_id)
        if row is not None and row.get("enabled") and key in (row.get("events") or []):
            topic = self.settings.instance_topic(event.instance, event.event)
            deliveries.append(self._delivery(event, topic, event.instance, now_ms, INSTANCE_SCOPE))
        if self.settings.global_enabled and key in self.settings.global_events:
            topic = self.settings.global_topic(event.event)
            deliveries.append(self._delivery(event, topic, f"{event.instance}-{event.event}", now_ms, GLOBAL_SCOPE))
        return deliveries

    def _delivery(self, event: Event, topic: str, key: str, now_ms: int, scope: str) -> Delivery:
        return Delivery(
            sink=self.name,
            target=topic,
            event=event,
            options={"topic": topic, "key": key, "timestamp": now_ms, "scope": scope},
        )

    async def send(self, delivery: Delivery) -> None:
        topic = str(delivery.options["topic"])
        if not TOPIC_NAME.match(topic):
            raise DeliveryError(f"Kafka: {topic!r} is not a valid topic name", retryable=False)
        if not self.producer.connected and not await self.producer.wait_ready(self.wait_for_brokers):
            raise DeliveryError("Kafka is not connected", retryable=True, retry_after=1.0)
        event = delivery.event
        value = {**broker_message(event), "timestamp": delivery.options["timestamp"]}
        headers = [
            ("event", event.event.encode()),
            ("instance", event.instance.encode()),
            ("origin", ORIGIN.encode()),
            ("timestamp", event.date_time.encode()),
            ("event_id", event.id.encode()),  # ours: the same on every retry, to drop duplicates
        ]
        try:
            await self.producer.send(topic, self._encoder.encode(value), str(delivery.options["key"]).encode(), headers)
        except KafkaUnavailable as exc:
            raise DeliveryError(f"Kafka: {exc}", retryable=True, retry_after=1.0) from exc
        except KafkaRefused as exc:
            raise DeliveryError(f"Kafka refused the record: {exc}", retryable=False) from exc
