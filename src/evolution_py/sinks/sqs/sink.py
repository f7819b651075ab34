"""The SQS sink: upstream's FIFO queues `<instance>_<event>.fifo` (per instance) or
`<SQS_GLOBAL_PREFIX_NAME>_<event>.fifo` / `..._singlequeue.fifo` (global), its message and group ids.

As upstream, global mode replaces the per-instance rows (only SQS_GLOBAL_* events go out). Differences
kept on purpose: the event part of a queue name is the one upstream creates the queue with (upstream
sends `send.message.update` to `<x>_send_message.update.fifo`, a name SQS refuses), a missing queue is
created, and the deduplication id is the event's own (stable across our retries, so a retried send is
one message; two equal payloads are still two messages).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgspec

from evolution_py.events.event import Event
from evolution_py.events.names import ALL_WIRE_NAMES, event_key, subscription_key
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.sink import GLOBAL_SCOPE, INSTANCE_SCOPE, Delivery, DeliveryError
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.sinks.broker_message import broker_message
from evolution_py.sinks.kind import ObjectStore
from evolution_py.sinks.sqs.config import SqsSettings
from evolution_py.sinks.sqs.queues import SqsQueues, SqsRefused, SqsUnavailable

SQS_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def queue_name(prefix: str, event_part: str) -> str:
    return f"{prefix}_{event_part}.fifo"


def valid_queue_name(name: str) -> bool:
    base = name.removesuffix(".fifo")
    return 0 < len(name) <= 80 and name.endswith(".fifo") and all(ch in SQS_NAME_CHARS for ch in base)


class SqsSink:
    name = "sqs"
    max_in_flight = 64
    concurrency_per_target = max_in_flight
    # An outage is waited out, never dead-lettered: retry every 0.5 s, backing off to 15 s.
    retry_policy = RetryPolicy(max_attempts=2**31 - 1, initial_delay=0.5, max_delay=15.0, jitter=0.1)

    def __init__(self, settings: SqsSettings, subscriptions: Subscriptions, objects: ObjectStore | None = None) -> None:
        self.settings = settings
        self.subscriptions = subscriptions
        self.objects = objects  # S3 / MinIO when S3_ENABLED: bodies over SQS_MAX_PAYLOAD_SIZE go there
        self.queues = SqsQueues(settings)
        self._encoder = msgspec.json.Encoder()
        self._creating: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.queues.start()
        if self.settings.global_enabled:
            # As upstream's start; in the background, so a server starts while SQS is away.
            self._creating = asyncio.create_task(self.create_queues(self.global_queues(), content_dedup=True))

    def global_queues(self) -> list[str]:
        """The queues upstream creates at start in global mode."""
        if self.settings.force_single_queue:
            return [queue_name(self.settings.global_prefix, "singlequeue")] if self.settings.global_events else []
        parts = {
            event_key(wire).lower() for wire in ALL_WIRE_NAMES if subscription_key(wire) in self.settings.global_events
        }
        return [queue_name(self.settings.global_prefix, part) for part in sorted(parts)]

    async def stop(self) -> None:
        if self._creating is not None:
            self._creating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._creating
        await self.queues.stop()

    def instance_queues(self, instance: str, events: list[str]) -> list[str]:
        """The queues upstream's `/sqs/set` creates for these subscription keys."""
        return [queue_name(instance, key.lower()) for key in events]

    async def create_queues(self, names: list[str], *, content_dedup: bool) -> None:
        """Create what is missing now (as upstream's `/sqs/set`); a failure is retried at the first send."""
        for name in names:
            if valid_queue_name(name):
                try:
                    await self.queues.ensure(name, content_dedup=content_dedup)
                except (SqsUnavailable, SqsRefused):
                    return

    async def plan(self, event: Event) -> list[Delivery]:
        settings = self.settings
        if settings.global_enabled:
            if subscription_key(event.event) not in settings.global_events:
                return []
            part = "singlequeue" if settings.force_single_queue else event_key(event.event).lower()
            group = f"{settings.server_name}-{part}-{event.instance}"
            return [self._delivery(event, queue_name(settings.global_prefix, part), part, group, GLOBAL_SCOPE)]
        row = await self.subscriptions.find("sqs", event.instance_id)
        key = subscription_key(event.event)
        if row is None or not row.get("enabled") or key not in (row.get("events") or []):
            return []
        part = key.lower()
        return [self._delivery(event, queue_name(event.instance, part), part, "evolution", INSTANCE_SCOPE)]

    def _delivery(self, event: Event, queue: str, part: str, group: str, scope: str) -> Delivery:
        # part and at_ms name an oversized body's file in S3: the same on every retry.
        options = {"queue": queue, "part": part, "group": group, "scope": scope, "at_ms": int(time.time() * 1000)}
        return Delivery(sink=self.name, target=queue, event=event, options=options)

    def message(self, event: Event, *, data: Any = None, data_type: str = "json") -> dict[str, Any]:
        """Upstream's SQS message: the broker message with `dataType` and `server` added in its places."""
        base = broker_message(event)
        body = {
            "event": base["event"],
            "instance": base["instance"],
            "dataType": data_type,
            "data": base["data"] if data is None else data,
        }
        body["server"] = self.settings.server_name
        body.update((key, value) for key, value in base.items() if key not in body)
        return body

    async def _offloaded(self, delivery: Delivery, body: bytes, objects: ObjectStore) -> bytes:
        """Upstream's answer to a body over SQS_MAX_PAYLOAD_SIZE when S3 is on: the body goes to
        `evolution-api/messages/<instance>_<event>_<ms>.json`, SQS gets `{dataType: "s3", data: {fileUrl}}`."""
        part = str(delivery.options.get("part") or "event")
        name = f"messages/{delivery.event.instance}_{part}_{delivery.options.get('at_ms', 0)}.json"
        try:
            url = await objects.put_object(name, body, "application/json")
        except Exception as exc:  # storage away (any failure of it): the delivery waits for it
            raise DeliveryError(f"SQS: storing the oversized body in S3 failed ({exc})", retryable=True) from exc
        return self._encoder.encode(self.message(delivery.event, data={"fileUrl": url}, data_type="s3"))

    async def send(self, delivery: Delivery) -> None:
        queue = str(delivery.options["queue"])
        if not valid_queue_name(queue):
            raise DeliveryError(f"SQS: {queue!r} is not a valid queue name", retryable=False)
        body = self._encoder.encode(self.message(delivery.event))
        if len(body) > self.settings.max_payload_size and self.objects is not None:
            body = await self._offloaded(delivery, body, self.objects)
        if len(body) > self.settings.max_payload_size:
            # Without S3 upstream drops it with a log line; we dead-letter it, so it is visible and
            # can be replayed once SQS_MAX_PAYLOAD_SIZE allows it.
            raise DeliveryError(
                f"SQS: payload of {len(body)} bytes exceeds SQS_MAX_PAYLOAD_SIZE ({self.settings.max_payload_size})",
                retryable=False,
            )
        try:
            await self.queues.send(
                queue,
                body.decode(),
                group_id=str(delivery.options["group"]),
                dedup_id=delivery.event.id,
                content_dedup=self.settings.global_enabled,
            )
        except SqsUnavailable as exc:
            raise DeliveryError(f"SQS: {exc}", retryable=True, retry_after=1.0) from exc
        except SqsRefused as exc:
            raise DeliveryError(f"SQS refused the message: {exc}", retryable=False) from exc
