"""Test helper shipped with the bus: a sink that only records what the bus accepted, for tests that
check emitted events exactly (add it with `bus.add_sink(RecordingSink())`)."""

from __future__ import annotations

import asyncio
from typing import Any

from evolution_py.events.event import Event
from evolution_py.events.sink import Delivery


class RecordingSink:
    name = "recording"

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def plan(self, event: Event) -> list[Delivery]:
        self.events.append(event)
        async with self._changed:
            self._changed.notify_all()
        return []

    async def send(self, delivery: Delivery) -> None:
        return None

    def of(self, name: str, instance: str | None = None) -> list[Any]:
        return [e.data for e in self.events if e.event == name and (instance is None or e.instance == instance)]

    def names(self, instance: str | None = None) -> list[str]:
        return [e.event for e in self.events if instance is None or e.instance == instance]

    async def wait_for(self, name: str, instance: str | None = None, count: int = 1, within: float = 10) -> list[Any]:
        async def enough() -> list[Any]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.of(name, instance)) >= count)
            return self.of(name, instance)

        return await asyncio.wait_for(enough(), within)
