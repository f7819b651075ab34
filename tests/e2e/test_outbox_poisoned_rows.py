"""One row the database refuses can never stop the outbox writer (SQLite and real PostgreSQL).

The bus makes outside text safe before it queues it; these rows bypass that on purpose (as a
future bug or an unforeseen character would), to show the second line of defence: the writer
sets the refused piece aside and everything else in its batch, and after it, is written."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from evolution_py.events.event import Event
from evolution_py.events.outbox import Outbox, _Dead, _Insert, _Retry, new_row
from evolution_py.events.sink import Delivery
from evolution_py.store.db import Database
from evolution_py.store.models import EventDelivery
from tests.support.databases import DATABASE_KINDS, mariadb_database, postgres_database


@pytest.fixture(params=DATABASE_KINDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}")
        await database.migrate()
        yield database
        await database.dispose()
        return
    if request.param == "mariadb":
        async with mariadb_database() as uri:
            database = Database(uri.replace("mysql://", "mysql+asyncmy://", 1) + "?charset=utf8mb4")
            await database.migrate()
            yield database
            await database.dispose()
        return
    async with postgres_database() as uri:
        database = Database(uri.replace("postgresql://", "postgresql+asyncpg://", 1))
        await database.migrate()
        yield database
        await database.dispose()


def delivery(n: int) -> Delivery:
    event = Event(event="messages.upsert", instance="i", instance_id="i-id", data={"n": n})
    return Delivery(sink="webhook", target="http://127.0.0.1:1/hook", event=event)


async def stored(db: Database) -> dict[str, tuple[str, str | None]]:
    async with db.session() as session:
        rows = (await session.execute(select(EventDelivery.id, EventDelivery.status, EventDelivery.lastError))).all()
    return {row.id: (row.status, row.lastError) for row in rows}


async def committed(outbox: Outbox, deliveries: list[Delivery]) -> None:
    """Stage the rows of these deliveries and wait until the writer has committed them."""
    _now, done = outbox.stage(deliveries)
    if done is not None:
        await done


async def test_a_refused_row_is_set_aside_and_the_rest_goes_on(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    outbox = Outbox(db)
    outbox.start()
    try:
        first = [delivery(1), delivery(2)]
        await asyncio.wait_for(committed(outbox, first), timeout=10)

        # One batch: a good publish, a publish whose row cannot be encoded for the database, a
        # retry and a dead mark whose error text neither database takes, and an ack.
        loop = asyncio.get_running_loop()
        _now, good_committed = outbox.stage([delivery(3)])
        assert good_committed is not None
        bad = delivery(4)
        bad_row = list(new_row(bad, time.time()))
        bad_row[7] = '{"lone": "\ud800"}'  # no UTF-8 for a lone surrogate: refused by both drivers
        bad_committed: asyncio.Future[None] = loop.create_future()
        outbox._queue.put_nowait(_Insert([tuple(bad_row)], bad_committed))
        outbox._queue.put_nowait(_Retry(first[0].id, 1, time.time() + 60, "HTTP 500: \x00\ud800"))
        outbox._queue.put_nowait(_Dead(first[1].id, 3, "HTTP 500: nul \x00 and \ud800"))

        await asyncio.wait_for(good_committed, timeout=10)
        with pytest.raises(Exception) as refused:
            await asyncio.wait_for(bad_committed, timeout=10)
        assert not isinstance(refused.value, TimeoutError)
        await asyncio.wait_for(outbox.flush(), timeout=10)

        rows = await stored(db)
        assert bad.id not in rows
        # Set aside with a log line that names it, without its payload (which may hold secrets).
        refused_lines = [r.getMessage() for r in caplog.records if bad.id in r.getMessage()]
        assert refused_lines and not any("lone" in line for line in refused_lines)
        stand_in = "(the error text could not be stored: "
        status, error = rows[first[0].id]
        assert status == "pending" and error is not None and error.startswith(stand_in)
        status, error = rows[first[1].id]
        assert status == "dead" and error is not None and error.startswith(stand_in)

        # The writer goes on: later publishes and outcomes are written as usual.
        later = [delivery(5)]
        await asyncio.wait_for(committed(outbox, later), timeout=10)
        outbox.ack(later[0].id)
        outbox.retry(first[0].id, 2, time.time() + 60, "HTTP 502: made safe \x00 by the outbox \ud800")
        await asyncio.wait_for(outbox.flush(), timeout=10)
        rows = await stored(db)
        assert later[0].id not in rows
        assert rows[first[0].id] == ("pending", "HTTP 502: made safe  by the outbox \ufffd")
    finally:
        await asyncio.wait_for(outbox.stop(), timeout=10)
