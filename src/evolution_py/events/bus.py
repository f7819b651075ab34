"""The event bus: producers publish, sinks receive.

`publish` asks every sink to `plan` its deliveries for the event at once, then hands each delivery
to that sink's own queue and worker, so one slow or failing sink never delays another.
This in-process bus keeps nothing across a restart; the durable outbox replaces its queues.
"""

from __future__ import annotations

import asyncio
import logging

from evolution_py.events.event import Event
from evolution_py.sinks.base import Delivery, DeliveryError, Sink

log = logging.getLogger(__name__)


class EventBus:
    def __init__(self) -> None:
        self.sinks: list[Sink] = []
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._sends: set[asyncio.Task[None]] = set()
        self._started = False

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)
        self._queues[sink.name] = asyncio.Queue()
        if self._started:
            self._workers.append(asyncio.create_task(self._run(sink)))

    async def start(self) -> None:
        self._started = True
        for sink in self.sinks:
            await sink.start()
            self._workers.append(asyncio.create_task(self._run(sink)))

    async def publish(self, event: Event) -> None:
        for sink in self.sinks:
            try:
                deliveries = await sink.plan(event)
            except Exception:
                log.exception("sink %s failed to plan %s %s", sink.name, event.event, event.id)
                continue
            for delivery in deliveries:
                self._queues[sink.name].put_nowait(delivery)

    async def _run(self, sink: Sink) -> None:
        queue = self._queues[sink.name]
        # A sink may take several sends at once (`max_in_flight`, e.g. RabbitMQ waits for confirms
        # of many publishes together); sends start in queue order. Default 1: one at a time.
        limit = asyncio.Semaphore(max(1, int(getattr(sink, "max_in_flight", 1))))
        while True:
            delivery = await queue.get()
            await limit.acquire()
            task = asyncio.create_task(self._deliver_one(sink, delivery, queue, limit))
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    async def _deliver_one(
        self, sink: Sink, delivery: Delivery, queue: asyncio.Queue[Delivery], limit: asyncio.Semaphore
    ) -> None:
        try:
            await self._deliver(sink, delivery)
        finally:
            limit.release()
            queue.task_done()

    async def _deliver(self, sink: Sink, delivery: Delivery) -> None:
        """Send one delivery; a retryable failure (e.g. the broker is down) is retried in place with
        backoff, so nothing accepted is dropped while the target is away (and a one-at-a-time sink
        keeps its order)."""
        while True:
            try:
                await sink.send(delivery)
                return
            except DeliveryError as exc:
                log.warning(
                    "sink %s: %s %s to %s failed (attempt %d): %s",
                    sink.name,
                    delivery.event.event,
                    delivery.event.id,
                    delivery.target,
                    delivery.attempt + 1,
                    exc,
                )
                if not exc.retryable:
                    return
                delivery.attempt += 1
                delay = exc.retry_after if exc.retry_after is not None else 0.1 * 2 ** min(delivery.attempt, 6)
                await asyncio.sleep(min(delay, 5.0))
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                # A library cancelled a future inside the send (e.g. a closed connection), not us:
                # dropping the delivery here would lose it without a trace.
                log.warning(
                    "sink %s: send of %s %s was cut off; retrying", sink.name, delivery.event.event, delivery.event.id
                )
                delivery.attempt += 1
                await asyncio.sleep(min(0.1 * 2 ** min(delivery.attempt, 6), 5.0))
            except Exception:
                log.exception("sink %s failed on %s %s", sink.name, delivery.event.event, delivery.event.id)
                return

    async def drain(self) -> None:
        """Wait until every queued delivery was handed to its sink (tests, shutdown)."""
        await asyncio.gather(*(q.join() for q in self._queues.values()))

    async def stop(self) -> None:
        for task in [*self._workers, *self._sends]:
            task.cancel()
        await asyncio.gather(*self._workers, *self._sends, return_exceptions=True)
        self._workers.clear()
        for sink in self.sinks:
            try:
                await sink.stop()
            except Exception:
                log.exception("sink %s did not stop cleanly", sink.name)
        self._started = False
