"""The durable bus on a real SQLite file: resume across bus instances, sink isolation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from evolution_py.events.bus import EventBus
from evolution_py.events.event import Event
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.sink import Delivery, DeliveryError
from evolution_py.store.db import Database


class RecordingSink:
    """A real sink: records what it delivered; `down` makes every send fail (retryable)."""

    retry_policy = RetryPolicy(initial_delay=0.05, jitter=0.0, max_attempts=100)

    def __init__(self, name: str, *, down: bool = False, options: Any = None) -> None:
        self.name = name
        self.down = down
        self.options = options
        self.delivered: list[str] = []
        self.got_all = asyncio.Event()
        self.expect = 0

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def plan(self, event: Event) -> list[Delivery]:
        return [Delivery(sink=self.name, target="t", event=event, options={"x": self.options})]

    async def send(self, delivery: Delivery) -> None:
        if self.down:
            raise DeliveryError("down")
        self.delivered.append(delivery.event.id)
        if len(self.delivered) >= self.expect:
            self.got_all.set()


def event(n: int) -> Event:
    return Event(event="messages.upsert", instance="i", instance_id="i-id", data={"n": n})


async def test_pending_deliveries_resume_in_a_new_bus(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}"
    db = Database(url)
    await db.migrate()
    first = EventBus(db, max_in_memory=10)
    down = RecordingSink("s", down=True)
    first.add_sink(down)
    await first.start()
    events = [event(n) for n in range(25)]
    for item in events:
        await first.publish(item)
    await first.stop()
    await db.dispose()

    db = Database(url)
    second = EventBus(db, max_in_memory=10)
    up = RecordingSink("s")
    up.expect = 25
    second.add_sink(up)
    await second.start()
    await asyncio.wait_for(up.got_all.wait(), timeout=10)
    await second.drain()
    assert sorted(up.delivered) == sorted(e.id for e in events)
    await second.stop()
    await db.dispose()


async def test_a_sink_with_unstorable_options_costs_the_others_nothing(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}")
    await db.migrate()
    bus = EventBus(db)
    broken, good = RecordingSink("broken", options=object()), RecordingSink("good")
    good.expect = 1
    bus.add_sink(broken)
    bus.add_sink(good)
    await bus.start()
    item = event(1)
    await bus.publish(item)
    await asyncio.wait_for(good.got_all.wait(), timeout=5)
    assert good.delivered == [item.id] and broken.delivered == []
    await bus.stop()
    await db.dispose()
