"""Delivery rows that wait for their outcome (events/outbox.py DEFER_SECONDS), on a real SQLite
file with a trigger that records every row the writer ever inserts: a delivery acknowledged in time
is never written; a slow one is written before its event counts as accepted; a failed one is
written with its retry; a flush writes whatever still waits."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from evolution_py.events import outbox as outbox_module
from evolution_py.events.bus import EventBus
from evolution_py.events.event import Event
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.sink import Delivery, DeliveryError
from evolution_py.store.db import Database


class GatedSink:
    """Sends wait for `gate`; `fail` makes them fail (retryable) once the gate opens."""

    retry_policy = RetryPolicy(initial_delay=30.0, jitter=0.0, max_attempts=5)

    def __init__(self) -> None:
        self.name = "gated"
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False
        self.sent: list[str] = []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def plan(self, event: Event) -> list[Delivery]:
        return [Delivery(sink=self.name, target="t", event=event, options={})]

    async def send(self, delivery: Delivery) -> None:
        await self.gate.wait()
        if self.fail:
            raise DeliveryError("receiver said no")
        self.sent.append(delivery.event.id)


def event(n: int) -> Event:
    return Event(event="send.message", instance="i", instance_id="i-id", data={"n": n})


def inserted(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM inserted")]


def pending(path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute('SELECT id, attempts FROM "EventDelivery"'))


@pytest.fixture
async def bus(tmp_path: Path) -> AsyncIterator[tuple[EventBus, GatedSink, Path]]:
    path = tmp_path / "bus.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    with sqlite3.connect(path) as conn:
        conn.executescript(
            'CREATE TABLE inserted (id TEXT); CREATE TRIGGER log_insert AFTER INSERT ON "EventDelivery" '
            "BEGIN INSERT INTO inserted VALUES (NEW.id); END;"
        )
    bus = EventBus(db)
    sink = GatedSink()
    bus.add_sink(sink)
    await bus.start()
    await bus.drain()  # the start's page of the outbox is done: deliveries go straight to memory
    yield bus, sink, path
    sink.gate.set()
    await bus.stop()
    await db.dispose()


async def test_a_delivery_acknowledged_in_time_is_never_written(bus: tuple[EventBus, GatedSink, Path]) -> None:
    events, sink, path = bus
    await asyncio.gather(*(events.publish(event(n)) for n in range(20)))
    await events.drain()
    assert len(sink.sent) == 20
    assert inserted(path) == [] and pending(path) == []


async def test_a_slow_delivery_is_written_before_its_event_counts_as_accepted(
    bus: tuple[EventBus, GatedSink, Path],
) -> None:
    events, sink, path = bus
    sink.gate.clear()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await events.publish(event(1))
    assert loop.time() - started >= outbox_module.DEFER_SECONDS * 0.9  # waited for an outcome first
    assert [row_id for row_id, _attempts in pending(path)] == inserted(path) and len(inserted(path)) == 1
    sink.gate.set()
    await events.drain()
    assert pending(path) == []  # delivered, then deleted


async def test_a_failed_delivery_is_written_with_its_retry(bus: tuple[EventBus, GatedSink, Path]) -> None:
    events, sink, path = bus
    sink.fail = True
    await events.publish(event(1))
    await events.drain()
    assert len(inserted(path)) == 1
    assert [attempts for _id, attempts in pending(path)] == [1]  # inserted and updated in one go


async def test_a_flush_writes_what_still_waits(bus: tuple[EventBus, GatedSink, Path]) -> None:
    events, sink, path = bus
    sink.gate.clear()
    publishing = asyncio.create_task(events.publish(event(1)))
    await asyncio.sleep(0)  # staged, its delivery under way
    assert events.outbox is not None
    await events.outbox.flush()
    assert len(pending(path)) == 1
    await publishing


async def test_a_batch_that_fails_outside_the_database_fails_its_callers_and_the_writer_goes_on(
    bus: tuple[EventBus, GatedSink, Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the writer's bookkeeping (here: one batch raising) must not stop every later write:
    before, the writer's task ended silently, that batch's callers waited forever and every later
    publish failed."""
    events, sink, _path = bus
    outbox = events.outbox
    assert outbox is not None
    apply = outbox_module.Outbox._apply
    failures = iter([KeyError("bookkeeping")])

    async def apply_once_broken(self: outbox_module.Outbox, batch: list[object]) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        await apply(self, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox_module.Outbox, "_apply", apply_once_broken)
    sink.gate.clear()  # the row waits to be written, so the publish waits on the broken batch
    with pytest.raises(RuntimeError, match="outbox writer failed on this batch"):
        await asyncio.wait_for(events.publish(event(1)), 5)
    assert "outbox writer: a batch of 1 operation(s) failed: KeyError" in caplog.text
    sink.gate.set()
    second = event(2)
    await asyncio.wait_for(events.publish(second), 5)  # the writer still works
    await events.drain()
    assert second.id in sink.sent
