"""The event bus: producers publish, subscribers (sinks, integrations) receive.

This is the in-process fan-out. Each subscriber has its own queue and worker, so one slow
subscriber never delays another.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from evolution_py.events.event import Event

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    name: str

    def wants(self, event: Event) -> bool: ...

    async def deliver(self, event: Event) -> None: ...


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._queues: dict[str, asyncio.Queue[Event]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._started = False

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)
        self._queues[subscriber.name] = asyncio.Queue()
        if self._started:
            self._workers.append(asyncio.create_task(self._run(subscriber)))

    async def start(self) -> None:
        self._started = True
        for subscriber in self._subscribers:
            self._workers.append(asyncio.create_task(self._run(subscriber)))

    async def publish(self, event: Event) -> None:
        for subscriber in self._subscribers:
            try:
                if subscriber.wants(event):
                    self._queues[subscriber.name].put_nowait(event)
            except Exception:
                log.exception("subscriber %s failed to filter %s", subscriber.name, event.event)

    async def _run(self, subscriber: Subscriber) -> None:
        queue = self._queues[subscriber.name]
        while True:
            event = await queue.get()
            try:
                await subscriber.deliver(event)
            except Exception:
                log.exception("subscriber %s failed on %s %s", subscriber.name, event.event, event.id)
            finally:
                queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued event was handed to its subscriber (tests, shutdown)."""
        await asyncio.gather(*(q.join() for q in self._queues.values()))

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        self._started = False
