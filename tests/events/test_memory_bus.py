"""The bus without a database (`EventBus()`): same pipeline, in memory, retries included."""

from __future__ import annotations

import asyncio

from evolution_py.events.bus import EventBus
from evolution_py.events.event import Event
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.sink import Delivery, DeliveryError


class FlakySink:
    """A real sink implementation that fails each delivery's first attempt."""

    name = "flaky"
    retry_policy = RetryPolicy(initial_delay=0.01, jitter=0.0, max_attempts=3)

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []
        self.delivered: list[str] = []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def plan(self, event: Event) -> list[Delivery]:
        if event.event == "ignored":
            return []
        return [Delivery(sink=self.name, target=event.instance, event=event)]

    async def send(self, delivery: Delivery) -> None:
        self.attempts.append((delivery.event.id, delivery.attempt))
        if delivery.event.data == "never":
            raise DeliveryError("refused", retryable=False)
        if delivery.attempt == 0:
            raise DeliveryError("first attempt fails")
        self.delivered.append(delivery.event.id)


def event(data: str, name: str = "messages.upsert") -> Event:
    return Event(event=name, instance="i", instance_id="i-id", data=data)


async def test_in_memory_bus_retries_and_buffers_until_start() -> None:
    bus = EventBus()
    sink = FlakySink()
    bus.add_sink(sink)
    early = event("early")
    await bus.publish(early)  # before start: kept, sent once started
    await bus.start()
    later, refused = event("later"), event("never")
    await bus.publish(later)
    await bus.publish(refused)
    await bus.publish(event("x", name="ignored"))
    for _ in range(200):
        if len(sink.delivered) == 2:
            break
        await asyncio.sleep(0.01)
    await bus.drain()
    assert sorted(sink.delivered) == sorted([early.id, later.id])
    assert (refused.id, 0) in sink.attempts and (refused.id, 1) not in sink.attempts
    assert sorted(a for e, a in sink.attempts if e == later.id) == [0, 1]
    await bus.stop()
