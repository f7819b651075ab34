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
        while True:
            delivery = await queue.get()
            try:
                await sink.send(delivery)
            except DeliveryError as exc:
                log.warning(
                    "sink %s: %s %s to %s failed: %s",
                    sink.name,
                    delivery.event.event,
                    delivery.event.id,
                    delivery.target,
                    exc,
                )
            except Exception:
                log.exception("sink %s failed on %s %s", sink.name, delivery.event.event, delivery.event.id)
            finally:
                queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued delivery was handed to its sink (tests, shutdown)."""
        await asyncio.gather(*(q.join() for q in self._queues.values()))

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        for sink in self.sinks:
            try:
                await sink.stop()
            except Exception:
                log.exception("sink %s did not stop cleanly", sink.name)
        self._started = False
