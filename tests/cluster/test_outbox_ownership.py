"""Two nodes' event buses over one PostgreSQL outbox, with the real webhook sink and a receiver:
each node pages only the rows of the instances it holds. A node starting while another is sending
its own rows does not send them too; when it takes the other's instances over, their rows are sent
once, a scheduled retry no earlier than its `availableAt`, and with the attempts it already had."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import insert, select

from evolution_py.config import load_settings
from evolution_py.events.bus import EventBus
from evolution_py.events.dispatch import PageScope
from evolution_py.events.event import Event
from evolution_py.events.outbox import Outbox, new_row
from evolution_py.events.outbox_sql import COLUMNS
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.sink import GLOBAL_SCOPE, Delivery
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.sinks.webhook import WebhookConfig, WebhookSink
from evolution_py.store.db import Database
from evolution_py.store.models import EventDelivery
from tests.support.databases import postgres_database
from tests.support.server import free_port


class Receiver:
    """Records (event id, arrival time) per webhook post; can hold or refuse chosen events."""

    def __init__(self) -> None:
        self.url = f"http://127.0.0.1:{free_port()}/hook"
        self.got: list[tuple[str, float]] = []
        self.hold: dict[str, float] = {}  # event id → seconds to wait before answering
        self.refuse: set[str] = set()  # event ids answered with 500
        self._runner: web.AppRunner | None = None

    def times(self, event_id: str) -> list[float]:
        return [at for got, at in self.got if got == event_id]

    async def _hook(self, request: web.Request) -> web.Response:
        event_id = request.headers["webhook-id"]
        self.got.append((event_id, time.time()))
        await asyncio.sleep(self.hold.get(event_id, 0.0))
        if event_id in self.refuse:
            return web.json_response({"error": "no"}, status=500)
        return web.json_response({"ok": True})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", int(self.url.split(":")[2].split("/")[0])).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def shared(tmp_path: Path) -> AsyncIterator[tuple[str, Receiver]]:
    async with postgres_database() as uri:
        settings = load_settings(
            environ={"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": uri, "DATA_DIR": str(tmp_path)}
        )
        setup = Database(settings.database_url)
        await setup.migrate()
        await setup.dispose()
        receiver = Receiver()
        await receiver.start()
        try:
            yield settings.database_url, receiver
        finally:
            await receiver.stop()


def node_bus(url: str, receiver: Receiver) -> tuple[EventBus, Database]:
    """One node's bus, as cluster/wiring.py sets it up: it owns nothing until told."""
    db = Database(url)
    config = WebhookConfig(
        global_enabled=True,
        global_url=receiver.url,
        global_events=frozenset({"MESSAGES_UPSERT"}),
        retry=RetryPolicy(initial_delay=0.2, jitter=0.0, max_attempts=3),
    )
    bus = EventBus(db)
    bus.add_sink(WebhookSink(config, Subscriptions(db)))
    bus.own_nothing()
    return bus, db


async def seed(url: str, receiver: Receiver, rows: list[tuple[str, float, int]]) -> dict[str, str]:
    """Pending webhook rows: (instance id, due in seconds from now, attempts so far). Returns the
    event id of each row, keyed `<instance>-<n>`."""
    db = Database(url)
    now = time.time()
    ids: dict[str, str] = {}
    values: list[dict[str, Any]] = []
    for n, (instance_id, due_in, attempts) in enumerate(rows):
        event = Event(event="messages.upsert", instance=instance_id, instance_id=instance_id, data={"n": n})
        delivery = Delivery(
            sink="webhook",
            target=receiver.url,
            event=event,
            options={"scope": GLOBAL_SCOPE, "destination": receiver.url},
        )
        row = dict(zip(COLUMNS, new_row(delivery, now + n * 0.001), strict=True))
        row["attempts"] = attempts
        row["availableAt"] = now + due_in
        values.append(row)
        ids[f"{instance_id}-{n}"] = event.id
    async with db.transaction() as s:
        await s.execute(insert(EventDelivery), values)
    await db.dispose()
    return ids


async def until(check: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_each_node_sends_only_the_rows_of_its_instances(shared: tuple[str, Receiver]) -> None:
    url, receiver = shared
    seeded_at = time.time()  # every row's availableAt counts from a moment after this one
    ids = await seed(
        url,
        receiver,
        [
            ("ia", 0.0, 0),  # ia-0: node A is sending it (slow receiver) while B starts
            ("ia", 3.0, 1),  # ia-1: a retry scheduled 3 s from now
            ("ib", 0.0, 0),  # ib-2, ib-3: node B's own
            ("ib", 0.0, 0),
            ("ic", 0.0, 2),  # ic-4: two attempts already; refused once more, it is dead (max 3)
        ],
    )
    receiver.hold[ids["ia-0"]] = 1.0
    receiver.refuse.add(ids["ic-4"])

    bus_a, db_a = node_bus(url, receiver)
    await bus_a.start()
    bus_a.resume_instances(["ia"])
    await until(lambda: receiver.times(ids["ia-0"]))  # in flight at A

    bus_b, db_b = node_bus(url, receiver)
    await bus_b.start()
    await asyncio.sleep(0.5)
    assert [got for got, _ in receiver.got] == [ids["ia-0"]]  # B pages nothing before its first claim
    bus_b.resume_instances(["ib"])
    await until(lambda: receiver.times(ids["ib-2"]) and receiver.times(ids["ib-3"]))
    await bus_a.drain()
    await bus_b.drain()
    assert len(receiver.times(ids["ia-0"])) == 1  # B's start did not send A's row a second time
    assert not receiver.times(ids["ia-1"]) and not receiver.times(ids["ic-4"])

    # A gives its instances up (a hand-over; a SIGTERM does the same, then stops): its timer for
    # ia-1's retry is dropped, though A keeps running past ia-1's due time.
    bus_a.release_instances(["ia"])
    assert not receiver.times(ids["ia-1"])

    bus_b.resume_instances(["ia", "ic"])
    await until(lambda: receiver.times(ids["ic-4"]))
    await asyncio.sleep(0.5)
    assert not receiver.times(ids["ia-1"])  # not before its availableAt
    await until(lambda: receiver.times(ids["ia-1"]))
    assert receiver.times(ids["ia-1"])[0] >= seeded_at + 3.0
    await bus_b.drain()
    await asyncio.sleep(0.3)  # a second send would have come by now

    for key in ("ia-0", "ia-1", "ib-2", "ib-3"):
        assert len(receiver.times(ids[key])) == 1, key
    # ic-4 kept its two attempts: one more (refused) made three, the policy's last.
    assert len(receiver.times(ids["ic-4"])) == 1
    async with db_b.session() as s:
        left = (await s.execute(select(EventDelivery.eventId, EventDelivery.status, EventDelivery.attempts))).all()
    assert [(row.eventId, row.status, row.attempts) for row in left] == [(ids["ic-4"], "dead", 3)]
    for bus, db in ((bus_a, db_a), (bus_b, db_b)):
        await bus.stop()
        await db.dispose()


async def test_a_long_scope_pages_in_chunks_in_resume_order(shared: tuple[str, Receiver]) -> None:
    """1200 owned instances (three chunked queries): the pages merge into the outbox's resume order,
    keyset paging sees every owned row once, and rows of other instances or of no instance are left
    out unless the scope takes the latter."""
    url, receiver = shared
    owned = [f"own-{n:04d}" for n in range(1200)]
    picked = [owned[0], owned[700], owned[1199], owned[350], owned[1000]]  # spread over the chunks
    rows = [(instance_id, 0.0, 0) for instance_id in picked * 3]
    rows += [("other", 0.0, 0), ("", 0.0, 0)]
    ids = await seed(url, receiver, rows)
    expected = [ids[f"{instance_id}-{n}"] for n, instance_id in enumerate(picked * 3)]

    db = Database(url)
    outbox = Outbox(db)
    scope = PageScope(frozenset(owned))
    seen: list[str] = []
    cursor: tuple[float, str] = (-1.0, "")
    while page := await outbox.page("webhook", cursor, 4, scope):
        assert len(page) <= 4
        seen.extend(delivery.event.id for delivery, _due, _key in page)
        cursor = page[-1][2]
    assert seen == expected  # seeded one per millisecond: createdAt order is seeding order

    with_unowned = await outbox.page("webhook", (-1.0, ""), 100, PageScope(frozenset(), unowned=True))
    assert [delivery.event.id for delivery, _due, _key in with_unowned] == [ids[f"-{len(rows) - 1}"]]
    everything = await outbox.page("webhook", (-1.0, ""), 100)  # a single node: no filter at all
    assert len(everything) == len(rows)
    await db.dispose()
