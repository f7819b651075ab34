"""The outbox writer's hot path on the database driver itself (sqlite3 on its own thread, asyncpg or asyncmy).

SQLAlchemy Core costs about twice the driver's time per row for these fixed statements, and a
pooled connection adds a checkout and a reset round trip per transaction (measured with
bench/events.py). The writer runs for every event, so it keeps one dedicated driver connection
for its whole life and speaks the driver's own API. Everything else about the outbox uses
SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from evolution_py.events.sqlite_thread import SqliteThread
from evolution_py.store import mysql
from evolution_py.store.db import CONNECT_TIMEOUT_SECONDS, Upsert, WriteFence

log = logging.getLogger(__name__)

# Column order of the tuples built by `outbox.new_row`.
COLUMNS = (
    "id",
    "eventId",
    "event",
    "instanceId",
    "instanceName",
    "sink",
    "target",
    "payload",
    "status",
    "attempts",
    "availableAt",
    "lastError",
    "createdAt",
    "deadAt",
    "scope",
)

# The `Message` columns the hot path writes (store/messages.py `message_values`); JSON ones encoded here.
MESSAGE_COLUMNS = (
    "id",
    "key",
    "keyId",
    "remoteJid",
    "fromMe",
    "pushName",
    "participant",
    "messageType",
    "message",
    "contextInfo",
    "source",
    "messageTimestamp",
    "instanceId",
    "webhookUrl",
    "status",
)
_JSON_COLUMNS = frozenset({"key", "message", "contextInfo"})
_json = msgspec.json.Encoder()


RetryRow = tuple[int, float, str, str]  # attempts, availableAt, lastError, id
DeadRow = tuple[int, str, datetime, str]  # attempts, lastError, deadAt, id

_ROW_INSTANCE = COLUMNS.index("instanceId")
_MESSAGE_INSTANCE = MESSAGE_COLUMNS.index("instanceId")


def upsert_waves(upserts: list[Upsert], texts: list[str]) -> list[dict[str, list[int]]]:
    """The upserts (by index) grouped by statement text into waves that may run group by group:
    within a wave a row (table, instance, chat) has all its upserts under one text, in order, so
    running one text's group before another's changes nothing; an upsert of a row already in the
    wave under another text starts the next wave."""
    waves: list[dict[str, list[int]]] = [{}]
    text_of_row: dict[tuple[str, str, str], str] = {}
    for index, (upsert, text) in enumerate(zip(upserts, texts, strict=True)):
        row = (upsert.table, upsert.instance_id, upsert.remote_jid)
        if text_of_row.setdefault(row, text) != text:
            waves.append({})
            text_of_row = {row: text}
        waves[-1].setdefault(text, []).append(index)
    return waves


class Written(msgspec.Struct, frozen=True):
    """What one `write` did: whether each upsert created its row (False for a refused one), and the
    instances whose owner writes the fencing check refused (nothing of theirs was stored)."""

    created: list[bool]
    refused: frozenset[str] = frozenset()


class _Fenced(msgspec.Struct):
    """The owner writes of one transaction under the fencing check: the tokens to check, and what
    is refused already (instances this node does not hold at all)."""

    tokens: dict[str, int]
    refused: set[str]
    lost: dict[str, int] = {}  # refused by the check itself: id → the token this node believed it held


def _statements(mark: Any, quote: str = '"') -> dict[str, str]:
    cols = ", ".join(f"{quote}{c}{quote}" for c in COLUMNS)
    marks = ", ".join(mark(i + 1) for i in range(len(COLUMNS)))
    message_cols = ", ".join(f"{quote}{c}{quote}" for c in MESSAGE_COLUMNS)
    message_marks = ", ".join(mark(i + 1) for i in range(len(MESSAGE_COLUMNS)))
    sql = {
        "insert": f'INSERT INTO "EventDelivery" ({cols}) VALUES ({marks})',
        "message": f'INSERT INTO "Message" ({message_cols}) VALUES ({message_marks})',
        "retry": (
            f'UPDATE "EventDelivery" SET "attempts" = {mark(1)}, "availableAt" = {mark(2)}, '
            f'"lastError" = {mark(3)} WHERE "id" = {mark(4)}'
        ),
        "dead": (
            f'UPDATE "EventDelivery" SET "status" = \'dead\', "attempts" = {mark(1)}, "lastError" = {mark(2)}, '
            f'"deadAt" = {mark(3)} WHERE "id" = {mark(4)}'
        ),
    }
    return {name: statement.replace('"', quote) for name, statement in sql.items()}


class OutboxSql:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.mysql = engine.dialect.name in mysql.DIALECTS
        if self.mysql:
            self.sql = _statements(lambda _i: "%s", "`")
        else:
            self.sql = _statements((lambda _i: "?") if self.sqlite else (lambda i: f"${i}"))
        self._driver: Any = None
        self._upsert_texts: dict[tuple[str, tuple[str, ...], tuple[str, ...], bool], str] = {}
        # A cluster node's leases (PostgreSQL only; None on a single node: no check, no query).
        self.fence: WriteFence | None = None

    async def _connect(self) -> Any:
        url = self.engine.url
        if self.sqlite:
            return await SqliteThread.open(url.database or ":memory:", busy_seconds=30)
        if self.mysql:
            import asyncmy  # noqa: PLC0415 - the configured database's driver only
            from asyncmy.constants.CLIENT import FOUND_ROWS  # noqa: PLC0415 - as above

            return await asyncmy.connect(
                host=url.host or "127.0.0.1",
                port=url.port or 3306,
                user=url.username or "root",
                password=url.password or "",
                database=url.database,
                charset="utf8mb4",
                autocommit=False,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                init_command=mysql.INIT_COMMAND,
                # an upsert's UPDATE counts the rows it matched, not only those it changed
                client_flag=FOUND_ROWS,
            )
        import asyncpg  # noqa: PLC0415 - the configured database's driver only

        # Through PgBouncer (DATABASE_PROVIDER=psql_bouncer) no statement stays prepared.
        bouncer = url.query.get("prepared_statement_cache_size") == "0"
        query = {k: v for k, v in url.query.items() if k != "prepared_statement_cache_size"}  # SQLAlchemy's own
        dsn = url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)
        # Bounded, so that a silent network cannot hold the writer; on failure `write` drops the
        # connection and `alive` makes a new one, so the writer reconnects by itself.
        return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_SECONDS, statement_cache_size=0 if bouncer else 100)

    async def close(self) -> None:
        if self._driver is not None:
            driver, self._driver = self._driver, None
            try:
                await driver.close()
            except Exception as exc:  # noqa: BLE001 - the connection may already be dead; dropped anyway
                log.debug("outbox: closing the direct connection failed: %s", exc)

    async def alive(self) -> bool:
        """Whether the database answers at all (a fresh connection if the last one failed)."""
        try:
            if self._driver is None:
                self._driver = await self._connect()
            if self.sqlite:
                await self._driver.run(lambda connection: connection.execute("SELECT 1").fetchone())
            elif self.mysql:
                await self._driver.ping(reconnect=False)
            else:
                await self._driver.fetchval("SELECT 1")
            return True
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - any failure means the database does not answer
            await self.close()
            return False

    def _stamp(self, moment: datetime) -> Any:
        # SQLAlchemy's SQLite DATETIME text, microseconds always written (it reads both anyway)
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else moment

    def _upsert_sql(self, upsert: Upsert, now: datetime) -> tuple[str, list[Any], str, list[Any]]:
        """The UPDATE and the INSERT of one upsert, with their arguments, in this driver's dialect."""
        quote = "`" if self.mysql else '"'
        count = 0

        def mark() -> str:
            nonlocal count
            count += 1
            return "%s" if self.mysql else "?" if self.sqlite else f"${count}"

        def q(name: str) -> str:
            return f"{quote}{name}{quote}"

        sets, args = [], []
        for column, value in upsert.changes.items():
            sets.append(f"{q(column)} = {mark()}")
            args.append(value)
        if upsert.unread_delta:
            unread = q("unreadMessages")
            sets.append(f"{unread} = CASE WHEN {unread} + {mark()} < 0 THEN 0 ELSE {unread} + {mark()} END")
            args += [upsert.unread_delta, upsert.unread_delta]
        sets.append(f"{q('updatedAt')} = {mark()}")
        args.append(self._stamp(now))
        where = f"{q('instanceId')} = {mark()} AND {q('remoteJid')} = {mark()}"
        args += [upsert.instance_id, upsert.remote_jid]
        update_sql = f"UPDATE {q(upsert.table)} SET {', '.join(sets)} WHERE {where}"
        row = {
            "id": upsert.row_id,
            "instanceId": upsert.instance_id,
            "remoteJid": upsert.remote_jid,
            "createdAt": self._stamp(now),
            "updatedAt": self._stamp(now),
            **upsert.new,
        }
        count = 0
        marks = ", ".join(mark() for _ in row)
        insert_sql = f"INSERT INTO {q(upsert.table)} ({', '.join(q(c) for c in row)}) VALUES ({marks})"
        return update_sql, args, insert_sql, list(row.values())

    def _on_conflict_sql(self, upsert: Upsert, now: datetime) -> tuple[str, list[Any]]:
        """One statement for one upsert (SQLite and PostgreSQL): the row inserted, or on the
        (instanceId, remoteJid) conflict updated as `_upsert_sql`'s UPDATE would; it returns the
        stored row's id, which is the upsert's own `row_id` exactly when the row was created. The
        text depends only on the upsert's shape (table, columns, whether it counts unread
        messages), so it is built once per shape."""
        stamp = self._stamp(now)
        args = [upsert.row_id, upsert.instance_id, upsert.remote_jid, stamp, stamp, *upsert.new.values()]
        args += upsert.changes.values()
        if upsert.unread_delta:
            args += (upsert.unread_delta, upsert.unread_delta)
        args.append(stamp)
        shape = (upsert.table, tuple(upsert.new), tuple(upsert.changes), bool(upsert.unread_delta))
        text = self._upsert_texts.get(shape)
        if text is None:
            text = self._upsert_texts[shape] = self._on_conflict_text(*shape)
        return text, args

    def _on_conflict_text(
        self, table_name: str, new: tuple[str, ...], changes: tuple[str, ...], counts_unread: bool
    ) -> str:
        table = f'"{table_name}"'
        columns = ("id", "instanceId", "remoteJid", "createdAt", "updatedAt", *new)
        count = len(columns)
        marks = ["?" if self.sqlite else f"${i}" for i in range(1, count + 1)]

        def mark() -> str:
            nonlocal count
            count += 1
            return "?" if self.sqlite else f"${count}"

        sets = [f'"{column}" = {mark()}' for column in changes]
        if counts_unread:
            unread = f'{table}."unreadMessages"'
            low, high = mark(), mark()
            sets.append(f'"unreadMessages" = CASE WHEN {unread} + {low} < 0 THEN 0 ELSE {unread} + {high} END')
        sets.append(f'"updatedAt" = {mark()}')
        listed = ", ".join(f'"{column}"' for column in columns)
        return (
            f"INSERT INTO {table} ({listed}) VALUES ({', '.join(marks)}) "
            f'ON CONFLICT ("instanceId", "remoteJid") DO UPDATE SET {", ".join(sets)} RETURNING "id"'
        )

    async def _upserts(self, db: Any, upserts: list[Upsert]) -> list[bool]:
        """The upserts inside the open transaction, in order for each row; whether each created its row.

        PostgreSQL: one INSERT ... ON CONFLICT per upsert, those with the same statement text sent
        together (asyncpg's `fetchmany` pipelines them: one round trip per statement text instead of
        one or two per upsert, which is what the inbound message path waited on). MySQL: an UPDATE,
        then an INSERT when it found nothing. (SQLite runs the same statements as PostgreSQL inside
        its one-call transaction, `_sqlite`.)"""
        now = datetime.now(UTC).replace(tzinfo=None)
        if self.mysql:
            created = []
            for upsert in upserts:
                update_sql, update_args, insert_sql, insert_args = self._upsert_sql(upsert, now)
                async with db.cursor() as cursor:
                    found = await cursor.execute(update_sql, update_args)
                    if not found:
                        await cursor.execute(insert_sql, insert_args)
                created.append(not found)
            return created
        statements = [self._on_conflict_sql(upsert, now) for upsert in upserts]
        stored: list[str] = [""] * len(upserts)
        for wave in upsert_waves(upserts, [sql for sql, _args in statements]):
            for sql, indexes in wave.items():
                records = await db.fetchmany(sql, [statements[i][1] for i in indexes])
                for index, record in zip(indexes, records, strict=True):
                    stored[index] = record[0]
        return [row_id == upsert.row_id for row_id, upsert in zip(stored, upserts, strict=True)]

    @staticmethod
    def message_tuple(row: dict[str, Any]) -> tuple[Any, ...]:
        """A `message_values` row as the driver takes it (JSON columns as JSON text, NULL for None)."""
        return tuple(
            (None if row[c] is None else _json.encode(row[c]).decode()) if c in _JSON_COLUMNS else row[c]
            for c in MESSAGE_COLUMNS
        )

    def is_outage(self, exc: BaseException) -> bool:
        """Whether `exc` says the database is out of reach or busy (worth waiting for), rather than
        that it refused what was written (a value it cannot store, a constraint)."""
        if isinstance(exc, OSError):  # refused, reset, timed out
            return True
        if self.sqlite:
            return isinstance(exc, sqlite3.OperationalError)  # locked, busy, disk I/O, ...
        if self.mysql:
            return mysql.errno_of(exc) in mysql.UNAVAILABLE or type(exc).__name__ == "InterfaceError"
        import asyncpg  # noqa: PLC0415 - the configured database's driver only

        if isinstance(exc, asyncpg.PostgresError):
            # connection, insufficient resources, operator intervention, rollback (deadlock or
            # serialization), system error, lock not available
            return str(exc.sqlstate)[:2] in ("08", "40", "53", "57", "58") or exc.sqlstate == "55P03"
        # A closed connection; asyncpg's own "invalid input for query argument" is a ValueError.
        return isinstance(exc, asyncpg.InterfaceError) and not isinstance(exc, ValueError)

    async def write(
        self,
        rows: list[tuple[Any, ...]],
        retries: list[RetryRow],
        deads: list[DeadRow],
        acks: list[str],
        messages: list[tuple[Any, ...]] | None = None,
        upserts: list[Upsert] | None = None,
    ) -> Written:
        """All of it in one transaction, or none of it. `messages` (`message_tuple`s) and contact /
        chat `upserts` go first: an event about a message is never committed without it. In a
        cluster, the owner writes of an instance whose lease this node lost are left out (`refused`),
        the rest commits; outcomes (retries, dead marks, acks) are never fenced."""
        messages, upserts = messages or [], upserts or []
        # The cluster needs PostgreSQL (cluster/config.py): the other databases are never fenced.
        fenced = None
        if self.fence is not None and not (self.sqlite or self.mysql):
            fenced = await self._fenced(rows, messages, upserts)
        if self._driver is None:
            self._driver = await self._connect()
        created: list[bool] = []
        try:
            if self.sqlite:
                await self._sqlite(self._driver, messages, upserts, created, rows, retries, deads, acks)
            elif self.mysql:
                await self._mysql(self._driver, messages, upserts, created, rows, retries, deads, acks)
            else:
                await self._postgres(self._driver, messages, upserts, created, rows, retries, deads, acks, fenced)
        except Exception:
            await self.close()  # reconnect on the next write: the connection may be what failed
            raise
        if fenced is None or not fenced.refused:
            return Written(created)
        if fenced.lost and self.fence is not None:
            self.fence.lost(fenced.lost)
        refused = frozenset(fenced.refused)
        made = iter(created)
        return Written([False if u.instance_id in refused else next(made) for u in upserts], refused)

    async def _fenced(
        self, rows: list[tuple[Any, ...]], messages: list[tuple[Any, ...]], upserts: list[Upsert]
    ) -> _Fenced | None:
        """The instances these owner writes are for, with the tokens this node holds for them (None:
        no instance's write in this transaction, so no check). Rows of no instance are not fenced."""
        assert self.fence is not None
        ids = {row[_ROW_INSTANCE] for row in rows} | {row[_MESSAGE_INSTANCE] for row in messages}
        ids |= {u.instance_id for u in upserts}
        ids.discard(None)
        ids.discard("")
        if not ids:
            return None
        tokens = await self.fence.tokens(ids)
        return _Fenced(tokens, ids - tokens.keys())

    async def _check_fence(self, db: Any, fenced: _Fenced) -> None:
        """Inside the writer's transaction, before any owner write: every instance whose lease this
        node no longer holds (another token, another node, or expired) joins `fenced.refused`.

        Why this is enough: the check locks each lease row it returns FOR SHARE until this
        transaction ends. A claim (leases.py) is an UPDATE of that row, which needs a lock FOR SHARE
        conflicts with. So, under PostgreSQL's READ COMMITTED:
        - a claim that committed before the check: the check sees the new node and token, refuses;
        - a claim in progress (row locked) when the check runs: the check waits for it, then
          re-reads the row's new version (PostgreSQL rechecks the conditions on it), refuses;
        - a claim that comes after the check: it waits for this transaction, so these writes commit
          before the claim does, while the lease was still this node's.
        Hence once a claim has committed no write of the previous owner can commit: the new owner's
        writes are never followed by a stale one. The same holds for an expiry with no claim yet
        (`expiresAt` is compared with the database's clock). The rows are locked in instance id
        order, as `LeaseStore.renew` locks them, so the two never deadlock.

        Cost: one statement per transaction that carries an instance's writes, one primary-key probe
        per instance (the plan: LockRows over Sort over a nested loop of index scans). Timed once on
        the 2-core test machine with 10k leases: 0.20 ms median for 1 or 10 instances, 0.28 ms for
        50; a one-message batch went from about 0.5-0.7 ms to 0.9-1.0 ms, a batch of 50 messages of
        50 instances stayed within the noise (4-10 ms either way)."""
        assert self.fence is not None
        ids = list(fenced.tokens)
        held = {
            r[0] for r in await db.fetch(self.fence.check_sql, ids, [fenced.tokens[i] for i in ids], self.fence.node_id)
        }
        fenced.lost = {i: fenced.tokens[i] for i in ids if i not in held}
        fenced.refused.update(fenced.lost)

    async def _sqlite(
        self,
        db: SqliteThread,
        messages: list[Any],
        upserts: list[Upsert],
        created: list[bool],
        rows: list[Any],
        retries: list[RetryRow],
        deads: list[DeadRow],
        acks: list[str],
    ) -> None:
        """The whole transaction as one call on the connection's thread (sqlite_thread.py): the
        statements are prepared here, run there, and only the upserts' outcomes come back."""
        now = datetime.now(UTC).replace(tzinfo=None)
        statements = [self._on_conflict_sql(upsert, now) for upsert in upserts]
        own_ids = [upsert.row_id for upsert in upserts]
        sql = self.sql
        ack_rows = [(ack,) for ack in acks]

        def transaction(connection: sqlite3.Connection) -> list[bool]:
            try:
                if messages:
                    connection.executemany(sql["message"], messages)
                made = [
                    connection.execute(text, args).fetchone()[0] == own_id
                    for (text, args), own_id in zip(statements, own_ids, strict=True)
                ]
                if rows:
                    connection.executemany(sql["insert"], rows)
                if retries:
                    connection.executemany(sql["retry"], retries)
                if deads:
                    connection.executemany(sql["dead"], deads)
                if ack_rows:
                    connection.executemany('DELETE FROM "EventDelivery" WHERE "id" = ?', ack_rows)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            return made

        created.extend(await db.run(transaction))

    async def _mysql(
        self,
        db: Any,
        messages: list[Any],
        upserts: list[Upsert],
        created: list[bool],
        rows: list[Any],
        retries: list[RetryRow],
        deads: list[DeadRow],
        acks: list[str],
    ) -> None:
        try:
            async with db.cursor() as cursor:
                if messages:
                    await cursor.executemany(self.sql["message"], messages)
            if upserts:
                created.extend(await self._upserts(db, upserts))
            async with db.cursor() as cursor:
                if rows:  # the driver sends one multi-row INSERT
                    await cursor.executemany(self.sql["insert"], rows)
                if retries:
                    await cursor.executemany(self.sql["retry"], retries)
                if deads:
                    await cursor.executemany(self.sql["dead"], deads)
                for start in range(0, len(acks), 500):
                    chunk = acks[start : start + 500]
                    marks = ", ".join(["%s"] * len(chunk))
                    await cursor.execute(f"DELETE FROM `EventDelivery` WHERE `id` IN ({marks})", chunk)
            await db.commit()
        except BaseException:
            await db.rollback()
            raise

    async def _postgres(
        self,
        db: Any,
        messages: list[Any],
        upserts: list[Upsert],
        created: list[bool],
        rows: list[Any],
        retries: list[RetryRow],
        deads: list[DeadRow],
        acks: list[str],
        fenced: _Fenced | None = None,
    ) -> None:
        async with db.transaction():
            if fenced is not None:
                if fenced.tokens:
                    await self._check_fence(db, fenced)
                if refused := fenced.refused:
                    messages = [m for m in messages if m[_MESSAGE_INSTANCE] not in refused]
                    upserts = [u for u in upserts if u.instance_id not in refused]
                    rows = [r for r in rows if r[_ROW_INSTANCE] not in refused]
            if messages:
                await db.executemany(self.sql["message"], messages)
            if upserts:
                created.extend(await self._upserts(db, upserts))
            if rows:
                await db.executemany(self.sql["insert"], rows)
            if retries:
                await db.executemany(self.sql["retry"], retries)
            if deads:
                await db.executemany(self.sql["dead"], deads)
            if acks:
                await db.execute('DELETE FROM "EventDelivery" WHERE "id" = ANY($1::varchar[])', acks)
