"""The durable outbox: every planned delivery is a row in `EventDelivery` before anything is sent.

One writer task owns every write. Publishes, acks, retries and dead-letter marks are queued to it
and applied in one transaction per batch (group commit), so a burst of events costs a handful of
commits instead of one each. `insert` returns only once its rows are committed: that is the
moment an event counts as accepted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

import msgspec
from sqlalchemy import Table, select, update

from evolution_py.events.outbox_sql import OutboxSql
from evolution_py.events.sink import Delivery
from evolution_py.store.db import Database
from evolution_py.store.models import EventDelivery, utcnow

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Delivery)

# How many queued operations one transaction may carry.
MAX_BATCH = 2000
# Outcomes (acks, retries, dead letters) nobody waits for linger this long to share a transaction;
# a publish cuts the wait short. A crash in this window only means a re-delivery, never a loss.
OUTCOME_LINGER = 0.05

_T: Table = EventDelivery.__table__  # type: ignore[assignment]


class _Insert(msgspec.Struct):
    rows: list[tuple[Any, ...]]
    future: asyncio.Future[None]


class _Ack(msgspec.Struct):
    id: str


class _Retry(msgspec.Struct):
    id: str
    attempts: int
    available_at: float
    error: str


class _Dead(msgspec.Struct):
    id: str
    attempts: int
    error: str


class _Flush(msgspec.Struct):
    future: asyncio.Future[None]


_Op = _Insert | _Ack | _Retry | _Dead | _Flush


def new_row(delivery: Delivery, now: float) -> tuple[Any, ...]:
    """The outbox row (in `outbox_sql.COLUMNS` order) of a freshly planned delivery; gives the
    delivery its row id."""
    delivery.id = os.urandom(16).hex()
    event = delivery.event
    payload = _encoder.encode(delivery).decode()
    return (
        delivery.id,
        event.id,
        event.event,
        event.instance_id,
        event.instance,
        delivery.sink,
        delivery.target,
        payload,
        "pending",
        0,
        now,
        None,
        now,
        None,
    )


def delivery_of(row: Any) -> Delivery:
    delivery = _decoder.decode(row.payload)
    delivery.id = row.id
    delivery.attempt = int(row.attempts)
    return delivery


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: asyncio.Queue[_Op] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._sql = OutboxSql(db.engine)
        self._urgent = asyncio.Event()  # someone awaits a queued op (a publish or a flush)

    # --- the writer ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._run(), name="outbox-writer")

    async def stop(self) -> None:
        """Apply everything queued so far, then stop the writer."""
        if self._writer is None:
            return
        await self.flush()
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        self._writer = None
        await self._sql.close()

    async def flush(self) -> None:
        if self._writer is None or self._writer.done():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Flush(future))
        self._urgent.set()
        await future

    def stage(self, deliveries: list[Delivery]) -> tuple[float, asyncio.Future[None] | None]:
        """Queue the rows of planned deliveries for the writer (giving each delivery its row id);
        returns their `createdAt` and the future that resolves once they are committed."""
        if self._writer is None or self._writer.done():
            raise RuntimeError("the event bus is not running")
        now = time.time()
        rows = []
        for delivery in deliveries:
            try:
                rows.append(new_row(delivery, now))
            except (TypeError, msgspec.EncodeError):
                # A sink bug (options that are not JSON) must not cost the other sinks their event.
                delivery.id = ""
                log.exception(
                    "outbox: %s delivery of %s cannot be stored; dropped", delivery.sink, delivery.event.event
                )
        if not rows:
            return now, None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Insert(rows, future))
        self._urgent.set()
        return now, future

    def ack(self, row_id: str) -> None:
        self._queue.put_nowait(_Ack(row_id))

    def retry(self, row_id: str, attempts: int, available_at: float, error: str) -> None:
        self._queue.put_nowait(_Retry(row_id, attempts, available_at, error[:2000]))

    def dead(self, row_id: str, attempts: int, error: str) -> None:
        self._queue.put_nowait(_Dead(row_id, attempts, error[:2000]))

    async def _run(self) -> None:
        while True:
            batch: list[_Op] = [await self._queue.get()]
            self._take(batch)
            if not self._urgent.is_set():
                try:
                    await asyncio.wait_for(self._urgent.wait(), OUTCOME_LINGER)
                except TimeoutError:
                    pass
                self._take(batch)
            self._urgent.clear()
            await self._apply(batch)

    def _take(self, batch: list[_Op]) -> None:
        while len(batch) < MAX_BATCH and not self._queue.empty():
            batch.append(self._queue.get_nowait())

    async def _apply(self, batch: list[_Op]) -> None:
        inserts = [op for op in batch if isinstance(op, _Insert)]
        acks = [op.id for op in batch if isinstance(op, _Ack)]
        retries = [op for op in batch if isinstance(op, _Retry)]
        deads = [op for op in batch if isinstance(op, _Dead)]
        flushes = [op for op in batch if isinstance(op, _Flush)]
        rows = [row for op in inserts for row in op.rows]
        if acks and rows:
            # A delivery sent and acknowledged before its row was written (the bus starts sending
            # while the insert is queued) needs neither the insert nor the delete.
            done = set(acks).intersection(row[0] for row in rows)
            if done:
                rows = [row for row in rows if row[0] not in done]
                acks = [row_id for row_id in acks if row_id not in done]
                retries = [op for op in retries if op.id not in done]
                deads = [op for op in deads if op.id not in done]
        dead_at = utcnow()
        # Updates must not be lost: try until the database answers (the rows stay pending meanwhile,
        # so the worst case after a crash is a duplicate delivery, never a lost one).
        for attempt in range(1_000_000):
            try:
                await self._sql.write(
                    rows,
                    [(r.attempts, r.available_at, r.error, r.id) for r in retries],
                    [(d.attempts, d.error, dead_at, d.id) for d in deads],
                    acks,
                )
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if rows:
                    # A publish that cannot be stored is not accepted: its caller gets the error.
                    for op in inserts:
                        if not op.future.done():
                            op.future.set_exception(exc)
                    log.exception("outbox: could not store %d deliveries", len(rows))
                    rows, inserts = [], []
                    continue
                log.warning("outbox: write failed (attempt %d), retrying: %s", attempt + 1, exc)
                await asyncio.sleep(min(0.2 * (attempt + 1), 5.0))
        for op in inserts:
            if not op.future.done():
                op.future.set_result(None)
        for flush in flushes:
            if not flush.future.done():
                flush.future.set_result(None)

    # --- reads and replays (outside the writer: they do not race with it on pending rows) -----

    async def page(
        self, sink: str, after: tuple[float, str], limit: int
    ) -> list[tuple[Delivery, float, tuple[float, str]]]:
        """Deliveries still owed to `sink` in resume order (createdAt, id) after the `after` key:
        (delivery, when it is due, its key)."""
        created, row_id = after
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(_T.c.id, _T.c.payload, _T.c.attempts, _T.c.availableAt, _T.c.createdAt)
                    .where(
                        _T.c.status == "pending",
                        _T.c.sink == sink,
                        (_T.c.createdAt > created) | ((_T.c.createdAt == created) & (_T.c.id > row_id)),
                    )
                    .order_by(_T.c.createdAt, _T.c.id)
                    .limit(limit)
                )
            ).all()
        return [(delivery_of(row), float(row.availableAt), (float(row.createdAt), row.id)) for row in rows]

    async def dead_letters(
        self, instance_id: str | None, *, limit: int, offset: int, event: str | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        from sqlalchemy import func

        where = [_T.c.status == "dead"]
        if instance_id is not None:
            where.append(_T.c.instanceId == instance_id)
        if event:
            where.append(_T.c.event == event)
        async with self.db.session() as session:
            total = int((await session.execute(select(func.count()).select_from(_T).where(*where))).scalar_one())
            rows = (
                await session.execute(
                    select(_T).where(*where).order_by(_T.c.createdAt, _T.c.id).limit(limit).offset(offset)
                )
            ).all()
        return total, [dead_letter_view(row) for row in rows]

    async def revive(self, instance_id: str | None, ids: list[str] | None) -> list[Delivery]:
        """Turn dead letters back into pending deliveries with fresh attempts; returns them."""
        now = time.time()
        where = [_T.c.status == "dead"]
        if instance_id is not None:
            where.append(_T.c.instanceId == instance_id)
        if ids is not None:
            where.append(_T.c.id.in_(ids))
        async with self.db.transaction() as session:
            rows = (await session.execute(select(_T.c.id, _T.c.payload).where(*where))).all()
            revived = [row.id for row in rows]
            for start in range(0, len(revived), 500):
                await session.execute(
                    update(_T)
                    .where(_T.c.id.in_(revived[start : start + 500]), _T.c.status == "dead")
                    .values(status="pending", attempts=0, availableAt=now, deadAt=None)
                )
        out = []
        for row in rows:
            delivery = _decoder.decode(row.payload)
            delivery.id = row.id
            delivery.attempt = 0
            out.append(delivery)
        return out

    async def discard(self, instance_id: str | None, ids: list[str] | None) -> int:
        """Delete dead letters for good; returns how many."""
        from sqlalchemy import delete

        where = [_T.c.status == "dead"]
        if instance_id is not None:
            where.append(_T.c.instanceId == instance_id)
        if ids is not None:
            where.append(_T.c.id.in_(ids))
        async with self.db.transaction() as session:
            result = await session.execute(delete(_T).where(*where))
        return int(getattr(result, "rowcount", 0) or 0)


def dead_letter_view(row: Any) -> dict[str, Any]:
    from evolution_py.store.messages import iso

    delivery = _decoder.decode(row.payload)
    return {
        "id": row.id,
        "eventId": row.eventId,
        "event": row.event,
        "instance": row.instanceName,
        "instanceId": row.instanceId,
        "sink": row.sink,
        "target": row.target,
        "attempts": row.attempts,
        "lastError": row.lastError,
        "createdAt": iso(_from_epoch(row.createdAt)),
        "deadAt": iso(row.deadAt),
        "payload": delivery.event.envelope(),
    }


def _from_epoch(value: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
