"""The durable outbox: every planned delivery is a row in `EventDelivery` before anything is sent.

One writer task owns every write. Publishes, acks, retries and dead-letter marks are queued to it
and applied in one transaction per batch (group commit), so a burst of events costs a handful of
commits instead of one each. `insert` returns only once its rows are committed: that is the
moment an event counts as accepted.

The same writer stores the hot path's message rows (`insert_messages`, reached through
`Database.group_writer` from store/messages.py): concurrent sends and inbound messages share its
transactions with each other and with the events, one commit per batch instead of one per row.

On a cluster node (`fence` set), each transaction first checks that the node still holds the lease
of every instance whose rows it carries (outbox_sql.py `_check_fence`): the rows of an instance the
node lost are not stored and their callers get `LeaseLost` (503), the rest of the batch commits.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import time
import traceback
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Table, delete, func, select, update

from evolution_py.events.dispatch import PageScope
from evolution_py.events.outbox_sql import COLUMNS, MESSAGE_COLUMNS, DeadRow, OutboxSql, RetryRow
from evolution_py.events.sink import GLOBAL_SCOPE, INSTANCE_SCOPE, Delivery
from evolution_py.outbound import status_reason
from evolution_py.store.db import Database, LeaseLost, Upsert, WriteFence
from evolution_py.store.messages import iso
from evolution_py.store.models import EventDelivery, utcnow
from evolution_py.store.safe_text import safe_json, safe_text

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Delivery)

# How many queued operations one transaction may carry.
MAX_BATCH = 2000
# Outcomes (acks, retries, dead letters) nobody waits for linger this long to share a transaction;
# a publish cuts the wait short. A crash in this window only means a re-delivery, never a loss.
OUTCOME_LINGER = 0.05
# How long a delivery row whose delivery is already under way waits for its outcome before it is
# written: a delivery acknowledged in time costs the table neither the insert nor the delete (74 %
# of sendText's delivery rows were written and deleted otherwise). Its publish waits that long at
# most for a slow receiver: 20 ms throttled concurrent publishers (bench/events.py on PostgreSQL:
# 0.40 of raw aiohttp), 5 ms gave 1.17, none 0.89 (bench/RESULTS.md).
DEFER_SECONDS = 0.005

# How many instance ids one paging query names (a cluster node's scope).
PAGE_CHUNK = 500

# `lastError` is made safe and cut to this many characters (sinks keep their reasons far shorter).
MAX_ERROR = 2000

_T: Table = EventDelivery.__table__  # type: ignore[assignment]
_ROW_INSTANCE = COLUMNS.index("instanceId")
_MESSAGE_INSTANCE = MESSAGE_COLUMNS.index("instanceId")


class _Insert(msgspec.Struct):
    rows: list[tuple[Any, ...]]
    future: asyncio.Future[None]
    messages: list[tuple[Any, ...]] = []  # `Message` rows (OutboxSql.message_tuple), id first
    # Every delivery of these rows is under way (`Outbox.defer`): each row waits up to
    # DEFER_SECONDS for its outcome; `future` resolves once each row is acknowledged or written.
    deferrable: bool = False
    unsettled: int = 0


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


class _Upsert(msgspec.Struct):
    upsert: Upsert
    future: asyncio.Future[bool]


_Op = _Insert | _Ack | _Retry | _Dead | _Flush | _Upsert


def new_row(delivery: Delivery, now: float) -> tuple[Any, ...]:
    """The outbox row (in `outbox_sql.COLUMNS` order) of a freshly planned delivery; gives the
    delivery its row id. This is where everything the bus stores is made safe for both databases."""
    delivery.id = os.urandom(16).hex()
    payload = _payload(delivery)
    event = delivery.event
    return (
        delivery.id,
        safe_text(event.id, 32),
        safe_text(event.event, 100),
        safe_text(event.instance_id),
        safe_text(event.instance, 255),
        safe_text(delivery.sink, 50),
        safe_text(delivery.target),
        payload,
        "pending",
        0,
        now,
        None,
        now,
        None,
        delivery_scope(delivery),
    )


def delivery_scope(delivery: Delivery) -> str:
    """ "instance" for a delivery to a sink the instance's own tenant configured (its token sees and
    replays it), "global" for the operator's (global webhook, RabbitMQ exchange, socket.io "/"). A sink
    says so in `options["scope"]`; a delivery that does not say is the operator's."""
    return INSTANCE_SCOPE if delivery.options.get("scope") == INSTANCE_SCOPE else GLOBAL_SCOPE


def _payload(delivery: Delivery) -> str:
    """The delivery as JSON text. Outside text in it (a message with a NUL, a push name with a lone
    surrogate) is cleaned in the delivery itself, so that what is sent now is what a retry or a
    replay sends later. The check costs one substring search on the encoded text."""
    try:
        payload: str | None = _encoder.encode(delivery).decode()
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for it
        payload = None
    if payload is None or "\\u0000" in payload:
        _make_safe(delivery)
        payload = _encoder.encode(delivery).decode()
    return payload


def _make_safe(struct: msgspec.Struct) -> None:
    for name in struct.__struct_fields__:
        value = getattr(struct, name)
        if isinstance(value, msgspec.Struct):
            _make_safe(value)
        else:
            setattr(struct, name, safe_json(value))


def _fail(owners: dict[str, _Insert], rows: list[tuple[Any, ...]], failure: Exception) -> None:
    for row in rows:
        op = owners.get(row[0])
        if op is not None and not op.future.done():
            op.future.set_exception(failure)


def _refuse(
    owners: dict[str, _Insert],
    rows: list[tuple[Any, ...]],
    messages: list[tuple[Any, ...]],
    upserts: list[_Upsert],
    refused: frozenset[str],
) -> None:
    """The fencing check refused these instances' writes: their callers get `LeaseLost`."""
    if not refused:
        return
    for row in rows:
        if row[_ROW_INSTANCE] in refused:
            _fail(owners, [row], LeaseLost(row[_ROW_INSTANCE]))
    for row in messages:
        if row[_MESSAGE_INSTANCE] in refused:
            _fail(owners, [row], LeaseLost(row[_MESSAGE_INSTANCE]))
    for pending in upserts:
        if pending.upsert.instance_id in refused and not pending.future.done():
            pending.future.set_exception(LeaseLost(pending.upsert.instance_id))
    log.warning(
        "outbox: this node no longer holds the lease of instance(s) %s: their writes were refused",
        ", ".join(sorted(refused)),
    )


def _describe(exc: Exception) -> str:
    """An exception for a log line, without the values it may quote: drivers quote the offending
    argument (asyncpg: "invalid input for query argument $8 ...: '<the payload>'"), and a payload
    can carry secrets (headers, tokens). PostgreSQL errors are named by their SQLSTATE instead."""
    if isinstance(exc, UnicodeError):
        return f"{type(exc).__name__}: {getattr(exc, 'reason', '')}"
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate:
        return f"{type(exc).__name__} (SQLSTATE {sqlstate})"
    if isinstance(exc, ValueError):
        return type(exc).__name__
    # Connection and SQLite errors name an address, a constraint or a state, not a value.
    first = safe_text(str(exc)).partition("\n")[0]
    return f"{type(exc).__name__}: {first[:200]}"


def _stand_in(failure: Exception) -> str:
    return f"(the error text could not be stored: {type(failure).__name__})"


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
        self._deferred: dict[str, tuple[tuple[Any, ...], _Insert, float]] = {}  # id → (row, op, write by)
        self._staged: _Insert | None = None  # the op `stage` queued last (for `defer`)

    # --- the writer ---------------------------------------------------------------------------

    @property
    def fence(self) -> WriteFence | None:
        """A cluster node's leases, checked in every transaction that stores an instance's owner
        writes; None on a single node (no check and no query)."""
        return self._sql.fence

    @fence.setter
    def fence(self, fence: WriteFence | None) -> None:
        self._sql.fence = fence

    def fences(self, instance_id: str | None) -> bool:
        """Whether this instance's event rows go through the fencing check (a cluster node's)."""
        return self._sql.fence is not None and bool(instance_id)

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._run(), name="outbox-writer")
            self.db.group_writer = self

    async def stop(self) -> None:
        """Apply everything queued so far, then stop the writer."""
        if self.db.group_writer is self:
            self.db.group_writer = None  # writes from now on go to the database directly
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

    def stage(
        self, deliveries: list[Delivery], messages: list[dict[str, Any]] | None = None
    ) -> tuple[float, asyncio.Future[None] | None]:
        """Queue the rows of planned deliveries for the writer (giving each delivery its row id),
        with `messages` (`message_values` rows the event is about) in the same transaction;
        returns their `createdAt` and the future that resolves once they are committed."""
        if self._writer is None or self._writer.done():
            raise RuntimeError("the event bus is not running")
        message_rows = [OutboxSql.message_tuple(row) for row in messages or ()]
        now = time.time()
        rows = []
        for delivery in deliveries:
            try:
                rows.append(new_row(delivery, now))
            except (TypeError, ValueError, msgspec.EncodeError):
                # A sink bug (options that are not JSON) must not cost the other sinks their event.
                delivery.id = ""
                log.exception(
                    "outbox: %s delivery of %s cannot be stored; dropped", delivery.sink, delivery.event.event
                )
        if not rows and not message_rows:
            return now, None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._staged = _Insert(rows, future, message_rows)
        self._queue.put_nowait(self._staged)
        self._urgent.set()
        return now, future

    def defer(self, committed: asyncio.Future[None]) -> None:
        """The deliveries of the op just staged (whose future is `committed`) are all under way: its
        rows may wait DEFER_SECONDS for their outcomes before being written. Call it right after
        `stage`, before any await (the writer has not taken the op yet)."""
        op = self._staged
        if op is not None and op.future is committed and not op.messages:
            op.deferrable = True

    async def insert_messages(self, rows: list[dict[str, Any]]) -> None:
        """Store `Message` rows (store/messages.py `message_values`) in the writer's next
        transaction; returns once committed, raises what the database said otherwise."""
        if self._writer is None or self._writer.done():
            raise RuntimeError("the outbox writer is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Insert([], future, [OutboxSql.message_tuple(row) for row in rows]))
        self._urgent.set()
        await future

    async def upsert(self, upsert: Upsert) -> bool:
        """Update a contact or chat row, or create it, in the writer's next transaction; returns
        once committed, whether it was created."""
        if self._writer is None or self._writer.done():
            raise RuntimeError("the outbox writer is not running")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Upsert(upsert, future))
        self._urgent.set()
        return await future

    def ack(self, row_id: str) -> None:
        self._queue.put_nowait(_Ack(row_id))

    def retry(self, row_id: str, attempts: int, available_at: float, error: str) -> None:
        self._queue.put_nowait(_Retry(row_id, attempts, available_at, safe_text(error, MAX_ERROR)))

    def dead(self, row_id: str, attempts: int, error: str) -> None:
        self._queue.put_nowait(_Dead(row_id, attempts, safe_text(error, MAX_ERROR)))

    async def _run(self) -> None:
        while True:
            batch: list[_Op] = []
            if self._deferred:  # wake when the oldest deferred row is due, if nothing comes first
                try:
                    async with asyncio.timeout(max(self._next_due() - time.monotonic(), 0.0)):
                        batch.append(await self._queue.get())
                except TimeoutError:
                    pass
            else:
                batch.append(await self._queue.get())
            self._take(batch)
            if batch and not self._urgent.is_set():
                linger = OUTCOME_LINGER
                if self._deferred:
                    linger = min(linger, max(self._next_due() - time.monotonic(), 0.0))
                try:
                    await asyncio.wait_for(self._urgent.wait(), linger)
                except TimeoutError:
                    pass
                self._take(batch)
            self._urgent.clear()
            try:
                await self._apply(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a bug in a batch must not stop every later write
                self._crashed(batch, exc)

    def _crashed(self, batch: list[_Op], exc: Exception) -> None:
        """A batch failed outside the database's own errors (which `_apply` handles): a bug. Its
        callers get the error instead of waiting forever, and the writer goes on with the next
        batch; before this, the writer's task ended silently and every later send failed. What the
        batch wrote may or may not be committed, as after any 500; its outcomes (acks, retries) are
        lost, so those deliveries stay pending and are sent again (at least once, never lost)."""
        log.critical(
            "outbox writer: a batch of %d operation(s) failed: %s; its callers got the error, the writer "
            "goes on. Where (the frames only, never the values a message may quote):\n%s",
            len(batch),
            _describe(exc),
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        failure = RuntimeError(f"the outbox writer failed on this batch ({type(exc).__name__})")
        for op in batch:
            future = getattr(op, "future", None)
            if future is not None and not future.done():
                future.set_exception(failure)

    def _next_due(self) -> float:
        return next(iter(self._deferred.values()))[2]  # rows are deferred in time order

    def _defer_and_release(
        self,
        inserts: list[_Insert],
        rows: list[tuple[Any, ...]],
        acks: list[str],
        outcomes: list[str],
        flushing: bool,
    ) -> tuple[list[tuple[Any, ...]], list[str], list[tuple[tuple[Any, ...], _Insert]], list[_Insert]]:
        """Which delivery rows this batch writes: its own, less those of deferrable ops (held back),
        plus deferred rows now due, given a retry or dead mark (inserted, then updated), or flushed.
        Acknowledgements of deferred rows settle them unwritten. Returns the rows to write, the acks
        left to apply, the deferred rows released, and the deferrable ops touched."""
        touched: list[_Insert] = []
        if self._deferred and acks:
            left = []
            for row_id in acks:
                held = self._deferred.pop(row_id, None)
                if held is None:
                    left.append(row_id)
                else:
                    held[1].unsettled -= 1
                    touched.append(held[1])
            acks = left
        released: list[tuple[tuple[Any, ...], _Insert]] = []
        for row_id in outcomes:
            held = self._deferred.pop(row_id, None)
            if held is not None:
                released.append((held[0], held[1]))
        deferring = [op for op in inserts if op.deferrable]
        if deferring:
            to_write = {row[0] for row in rows}  # after this batch's own acks cancelled theirs
            write_by = time.monotonic() + DEFER_SECONDS
            for op in deferring:
                mine = [row for row in op.rows if row[0] in to_write]
                op.unsettled = len(mine)
                for row in mine:
                    self._deferred[row[0]] = (row, op, write_by)
                touched.append(op)
            rows = [row for row in rows if row[0] not in self._deferred]
        now = time.monotonic()
        while self._deferred and (flushing or self._next_due() <= now):
            row_id = next(iter(self._deferred))
            row, op, _due = self._deferred.pop(row_id)
            released.append((row, op))
        return rows + [row for row, _op in released], acks, released, touched

    def _take(self, batch: list[_Op]) -> None:
        while len(batch) < MAX_BATCH and not self._queue.empty():
            batch.append(self._queue.get_nowait())

    async def _apply(self, batch: list[_Op]) -> None:
        inserts = [op for op in batch if isinstance(op, _Insert)]
        acks = [op.id for op in batch if isinstance(op, _Ack)]
        retries = [op for op in batch if isinstance(op, _Retry)]
        deads = [op for op in batch if isinstance(op, _Dead)]
        flushes = [op for op in batch if isinstance(op, _Flush)]
        upserts = [op for op in batch if isinstance(op, _Upsert)]
        rows = [row for op in inserts for row in op.rows]
        messages = [row for op in inserts for row in op.messages]
        if acks and rows:
            # A delivery sent and acknowledged before its row was written (the bus starts sending
            # while the insert is queued) needs neither the insert nor the delete.
            done = set(acks).intersection(row[0] for row in rows)
            if done:
                rows = [row for row in rows if row[0] not in done]
                acks = [row_id for row_id in acks if row_id not in done]
                retries = [op for op in retries if op.id not in done]
                deads = [op for op in deads if op.id not in done]
        rows, acks, released, touched = self._defer_and_release(
            inserts, rows, acks, [*(r.id for r in retries), *(d.id for d in deads)], bool(flushes)
        )
        if not (rows or acks or retries or deads or messages or upserts):
            # Everything in this batch cancelled out (sent and acknowledged before its row was
            # written) or waits for its outcome: no transaction at all.
            self._settle(inserts, flushes, released, touched)
            return
        dead_at = utcnow()
        owners = {row[0]: op for op in inserts for row in (*op.rows, *op.messages)}
        owners.update((row[0], op) for row, op in released)
        retry_rows = [(r.attempts, r.available_at, r.error, r.id) for r in retries]
        dead_rows = [(d.attempts, d.error, dead_at, d.id) for d in deads]
        # Updates must not be lost: try until the database answers (the rows stay pending meanwhile,
        # so the worst case after a crash is a duplicate delivery, never a lost one).
        for attempt in itertools.count():
            try:
                written = await self._sql.write(
                    rows, retry_rows, dead_rows, acks, messages, [u.upsert for u in upserts]
                )
                _refuse(owners, rows, messages, upserts, written.refused)
                for pending, was_created in zip(upserts, written.created, strict=True):
                    if not pending.future.done():  # its caller may have been cancelled
                        pending.future.set_result(was_created)
                upserts = []
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - kept and classified below (outage or refusal)
                failure = exc
            if await self._refused(failure):
                # The database works but refuses something in this batch: one piece at a time, so
                # that a poisoned row costs only itself, never the writer (and every tenant) a stall.
                messages = await self._write_messages_each(owners, messages)
                upserts = await self._upsert_each(upserts)
                rows, retry_rows, dead_rows, acks = await self._write_each(owners, rows, retry_rows, dead_rows, acks)
                if not (messages or upserts or rows or retry_rows or dead_rows or acks):
                    break
            for pending in upserts:  # not stored: the caller gets the error (as a failed publish does)
                if not pending.future.done():
                    pending.future.set_exception(failure)
            upserts = []
            if rows or messages:
                # A publish or a message that cannot be stored is not accepted: its caller gets the error.
                _fail(owners, [*messages, *rows], failure)
                log.error(
                    "outbox: could not store %d messages, %d deliveries: %s",
                    len(messages),
                    len(rows),
                    _describe(failure),
                )
                rows, messages = [], []
                continue
            log.warning("outbox: write failed (attempt %d), retrying: %s", attempt + 1, _describe(failure))
            await asyncio.sleep(min(0.2 * (attempt + 1), 5.0))
        self._settle(inserts, flushes, released, touched)

    @staticmethod
    def _settle(
        inserts: list[_Insert],
        flushes: list[_Flush],
        released: list[tuple[tuple[Any, ...], _Insert]],
        touched: list[_Insert],
    ) -> None:
        """After a batch: its ops are accepted (a deferrable one once each of its rows is written or
        acknowledged), and its flushes done. A future already failed keeps its error."""
        for _row, op in released:
            op.unsettled -= 1
        for op in (*inserts, *touched, *(op for _row, op in released)):
            if not op.future.done() and (not op.deferrable or op.unsettled <= 0):
                op.future.set_result(None)
        for flush in flushes:
            if not flush.future.done():
                flush.future.set_result(None)

    async def _refused(self, exc: Exception) -> bool:
        """Whether the database itself works and refused what was written (not out of reach)."""
        if isinstance(exc, LeaseLost):
            return True  # the fencing check answered: the database works
        return not self._sql.is_outage(exc) and await self._sql.alive()

    async def _write_messages_each(
        self, owners: dict[str, _Insert], messages: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        """Each message row alone; one the database refuses fails only its own request. Returns
        what is left if the database stops answering midway."""
        for index, row in enumerate(messages):
            if (failure := await self._try(messages=[row])) is not None:
                if not await self._refused(failure):
                    return messages[index:]
                _fail(owners, [row], failure)
        return []

    async def _upsert_each(self, upserts: list[_Upsert]) -> list[_Upsert]:
        """Each upsert alone; one the database refuses fails only its own request. Returns what is
        left if the database stops answering midway."""
        for index, pending in enumerate(upserts):
            try:
                written = await self._sql.write([], [], [], [], None, [pending.upsert])
                if written.refused:
                    raise LeaseLost(pending.upsert.instance_id)
                (created,) = written.created
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - classified: an outage stops, a refusal fails the caller
                if not await self._refused(exc):
                    return upserts[index:]
                if not pending.future.done():
                    pending.future.set_exception(exc)
                continue
            if not pending.future.done():
                pending.future.set_result(created)
        return []

    async def _try(
        self,
        rows: list[tuple[Any, ...]] | None = None,
        retries: list[RetryRow] | None = None,
        deads: list[DeadRow] | None = None,
        acks: list[str] | None = None,
        messages: list[tuple[Any, ...]] | None = None,
    ) -> Exception | None:
        """One transaction; None when written, else why not (`LeaseLost`: refused by the fencing
        check, nothing written: every piece tried alone is one instance's)."""
        try:
            written = await self._sql.write(rows or [], retries or [], deads or [], acks or [], messages)
            return LeaseLost(min(written.refused)) if written.refused else None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - returned to the caller, which classifies it
            return exc

    async def _write_each(
        self,
        owners: dict[str, _Insert],
        rows: list[tuple[Any, ...]],
        retries: list[RetryRow],
        deads: list[DeadRow],
        acks: list[str],
    ) -> tuple[list[tuple[Any, ...]], list[RetryRow], list[DeadRow], list[str]]:
        """Write each piece in its own transaction, in the batch's order, and set aside (log, drop)
        what the database refuses even alone. Returns what is left if it stops answering midway."""
        for index, row in enumerate(rows):
            if (failure := await self._try(rows=[row])) is not None:
                if not await self._refused(failure):
                    return rows[index:], retries, deads, acks
                _fail(owners, [row], failure)
                if isinstance(failure, LeaseLost):
                    continue  # not the database's refusal: the lease is another node's now
                # Names and ids only: the payload may carry secrets (headers, tokens).
                log.error(
                    "outbox: the database refused the %s delivery %s of %s %s (instance %s); not stored: %s",
                    row[5], row[0], row[2], row[1], row[4], _describe(failure),
                )  # fmt: skip
        for index, (attempts, due, error, row_id) in enumerate(retries):
            if (failure := await self._try(retries=[(attempts, due, error, row_id)])) is not None:
                if not await self._refused(failure):
                    return [], retries[index:], deads, acks
                # The outcome is kept with a reason the database takes.
                if (failure := await self._try(retries=[(attempts, due, _stand_in(failure), row_id)])) is not None:
                    if not await self._refused(failure):
                        return [], retries[index:], deads, acks
                    log.error(
                        "outbox: retry of %s not stored (sent again after a restart): %s", row_id, _describe(failure)
                    )
        for index, (attempts, error, dead_at, row_id) in enumerate(deads):
            if (failure := await self._try(deads=[(attempts, error, dead_at, row_id)])) is not None:
                if not await self._refused(failure):
                    return [], [], deads[index:], acks
                if (failure := await self._try(deads=[(attempts, _stand_in(failure), dead_at, row_id)])) is not None:
                    if not await self._refused(failure):
                        return [], [], deads[index:], acks
                    log.error(
                        "outbox: dead mark of %s not stored (sent again after a restart): %s",
                        row_id,
                        _describe(failure),
                    )
        if acks and (failure := await self._try(acks=acks)) is not None:
            if not await self._refused(failure):
                return [], [], [], acks
            log.error("outbox: %d acks not stored (sent again after a restart): %s", len(acks), _describe(failure))
        return [], [], [], []

    # --- reads and replays (outside the writer: they do not race with it on pending rows) -----

    async def page(
        self, sink: str, after: tuple[float, str], limit: int, scope: PageScope | None = None
    ) -> list[tuple[Delivery, float, tuple[float, str]]]:
        """Deliveries still owed to `sink` in resume order (createdAt, id) after the `after` key:
        (delivery, when it is due, its key). `scope` (a cluster node's) keeps only the rows of the
        instances it names, and those of no instance if it says so; None (a single node) keeps all."""
        created, row_id = after
        where = [
            _T.c.status == "pending",
            _T.c.sink == sink,
            (_T.c.createdAt > created) | ((_T.c.createdAt == created) & (_T.c.id > row_id)),
        ]
        if scope is None:
            return await self._page(where, limit)
        # One query per chunk of ids (a long IN list costs the planner more than a few queries),
        # each its own first `limit` rows after the key: the merged first `limit` are the answer.
        ids = sorted(scope.instances)
        filters: list[Any] = [_T.c.instanceId.in_(ids[i : i + PAGE_CHUNK]) for i in range(0, len(ids), PAGE_CHUNK)]
        if scope.unowned:
            filters.append(_T.c.instanceId.is_(None) | (_T.c.instanceId == ""))
        found: list[tuple[Delivery, float, tuple[float, str]]] = []
        for owned in filters:
            found.extend(await self._page([*where, owned], limit))
        found.sort(key=lambda item: item[2])
        return found[:limit]

    async def _page(self, where: list[Any], limit: int) -> list[tuple[Delivery, float, tuple[float, str]]]:
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(_T.c.id, _T.c.payload, _T.c.attempts, _T.c.availableAt, _T.c.createdAt)
                    .where(*where)
                    .order_by(_T.c.createdAt, _T.c.id)
                    .limit(limit)
                )
            ).all()
        return [(delivery_of(row), float(row.availableAt), (float(row.createdAt), row.id)) for row in rows]

    async def dead_letters(
        self,
        instance_id: str | None,
        *,
        limit: int,
        offset: int,
        event: str | None = None,
        scope: str | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """Dead letters of one instance (or all), of one scope (or both: the operator's view)."""
        where = _dead_where(instance_id, None, scope)
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

    async def revive(
        self, instance_id: str | None, ids: list[str] | None, *, scope: str | None = None
    ) -> list[Delivery]:
        """Turn dead letters back into pending deliveries with fresh attempts; returns them."""
        now = time.time()
        where = _dead_where(instance_id, ids, scope)
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

    async def discard(self, instance_id: str | None, ids: list[str] | None, *, scope: str | None = None) -> int:
        """Delete dead letters for good; returns how many."""
        where = _dead_where(instance_id, ids, scope)
        async with self.db.transaction() as session:
            result = await session.execute(delete(_T).where(*where))
        return int(getattr(result, "rowcount", 0) or 0)


def _dead_where(instance_id: str | None, ids: list[str] | None, scope: str | None) -> list[Any]:
    where = [_T.c.status == "dead"]
    if instance_id is not None:
        where.append(_T.c.instanceId == instance_id)
    if ids is not None:
        where.append(_T.c.id.in_(ids))
    if scope is not None:
        where.append(_T.c.scope == scope)
    return where


def dead_letter_view(row: Any) -> dict[str, Any]:
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
        "lastError": shown_error(row.lastError),
        "createdAt": iso(_from_epoch(row.createdAt)),
        "deadAt": iso(row.deadAt),
        "payload": delivery.event.envelope(),
    }


# What rows dead-lettered before issue 10 item 3 may hold after the status or an aiohttp error's name:
# up to 200 characters of the receiver's answer (`HTTP 500: <body>`, `ClientResponseError: <status
# line>`), which a tenant could have pointed at an internal service.
_OLD_ANSWER_TEXT = re.compile(r"^HTTP (\d{3}): ")
_OLD_CLIENT_ERROR = re.compile(r"^(\w*Error): ")


def shown_error(text: str | None) -> str | None:
    """A stored `lastError` as answers show it: never any of a receiver's words, old rows included."""
    if text is None:
        return None
    if match := _OLD_ANSWER_TEXT.match(text):
        return status_reason(int(match.group(1)))
    if match := _OLD_CLIENT_ERROR.match(text):
        return match.group(1)
    return text


def _from_epoch(value: float) -> Any:
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
