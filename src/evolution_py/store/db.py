"""The database: one async engine per server, SQLite (aiosqlite), PostgreSQL (asyncpg, also through
PgBouncer) or MySQL/MariaDB (asyncmy; its specifics are in store/mysql.py).

`trouble(exc)` tells what a failed database call says about the request: the database is out of
reach (the HTTP layer answers 503 and the pool reconnects by itself), or the request carried a value
the database cannot hold (a NUL in text on PostgreSQL, a number beyond 64 bits: a 400).
"""

from __future__ import annotations

import asyncio
import enum
import sqlite3
import traceback
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import msgspec
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from evolution_py.errors import ApiError
from evolution_py.store import mysql

CONNECT_TIMEOUT_SECONDS = 10.0


class Trouble(enum.Enum):
    UNAVAILABLE = "the database is unavailable"
    NUL_IN_TEXT = "text contains a NUL character"
    OUT_OF_RANGE = "a number is out of range"
    BAD_VALUE = "a value cannot be stored"
    TOO_LONG = "a value is longer than its column"


class OutOfRange(ValueError):
    """A number no column of ours can be compared with (beyond 64 bits). PostgreSQL refuses one
    itself; MySQL compares it as a decimal and answers nothing, so the query builders check first
    and every database answers the same 400."""


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_DB_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.", "sqlite3", *mysql.DRIVER_MODULES)
_SQLITE_BUSY = ("locked", "busy", "unable to open", "disk i/o")


def trouble(exc: BaseException) -> Trouble | None:
    """What a failure raised by a database call means, or None when it is not one (or a bug)."""
    chain = _chain(exc)
    if not any(_from_database(e) for e in chain):
        return None
    for e in chain:
        if found := _trouble_of(e):
            return found
    return None


def _trouble_of(e: BaseException) -> Trouble | None:
    if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
        return Trouble.UNAVAILABLE
    if isinstance(e, OSError | sa_exc.TimeoutError):  # refused, reset, timed out; pool exhausted
        return Trouble.UNAVAILABLE
    if isinstance(e, sqlite3.OperationalError) and any(w in str(e).lower() for w in _SQLITE_BUSY):
        return Trouble.UNAVAILABLE
    if (errno := mysql.errno_of(e)) is not None:
        return _mysql_trouble(errno)
    if isinstance(e, OutOfRange):
        return Trouble.OUT_OF_RANGE
    if isinstance(e, OverflowError):  # sqlite3: "Python int too large to convert to SQLite INTEGER"
        return Trouble.OUT_OF_RANGE
    sqlstate = getattr(e, "sqlstate", None)
    if isinstance(sqlstate, str) and len(sqlstate) == 5:
        # connection, insufficient resources, operator intervention (shutdown), system error,
        # rollback (deadlock, serialization), lock not available: all worth a retry
        if sqlstate[:2] in ("08", "40", "53", "57", "58") or sqlstate == "55P03":
            return Trouble.UNAVAILABLE
        if sqlstate == "22001":  # string data right truncation: longer than varchar(n)
            return Trouble.TOO_LONG
        if sqlstate in ("22021", "22P05"):  # invalid byte sequence (0x00), untranslatable character
            return Trouble.NUL_IN_TEXT
        if sqlstate in ("22003", "22008", "22015") or _says_out_of_range(e):  # numeric, datetime, interval
            return Trouble.OUT_OF_RANGE
        if sqlstate.startswith("22"):
            return Trouble.BAD_VALUE
    if type(e).__module__.startswith("asyncpg"):
        if isinstance(e, ValueError):  # asyncpg's DataError: "invalid input for query argument $n"
            return Trouble.OUT_OF_RANGE if _says_out_of_range(e) else Trouble.BAD_VALUE
        if type(e).__name__ in ("InterfaceError", "ConnectionDoesNotExistError"):  # a closed connection
            return Trouble.UNAVAILABLE
    return None


def _mysql_trouble(errno: int) -> Trouble | None:
    if errno in mysql.UNAVAILABLE:
        return Trouble.UNAVAILABLE
    if errno in mysql.TOO_LONG:
        return Trouble.TOO_LONG
    if errno in mysql.OUT_OF_RANGE:
        return Trouble.OUT_OF_RANGE
    if errno in mysql.BAD_VALUE:
        return Trouble.BAD_VALUE
    return None


def _says_out_of_range(e: BaseException) -> bool:
    # asyncpg refuses an argument before sending it: "invalid input for query argument $1: ...
    # (value out of int64 range)", sqlstate 22000
    return isinstance(e, OverflowError) or ("out of " in str(e) and " range" in str(e))


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what SQLAlchemy wrapped (`orig`) and its causes."""
    out: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(out) < 16:
        e = todo.pop(0)
        if e is None or any(e is seen for seen in out):
            continue
        out.append(e)
        orig = getattr(e, "orig", None)
        todo.extend([orig if isinstance(orig, BaseException) else None, e.__cause__, e.__context__])
    return out


def _from_database(e: BaseException) -> bool:
    """Raised by the database layer: its own exception types, or raised from inside it (asyncpg's
    connect lets a plain ConnectionRefusedError through SQLAlchemy's pool)."""
    if isinstance(e, sa_exc.SQLAlchemyError | sqlite3.Error | OutOfRange) or type(e).__module__.startswith(_DB_MODULES):
        return True
    modules = (str(frame.f_globals.get("__name__", "")) for frame, _ in traceback.walk_tb(e.__traceback__))
    return any(module.startswith(_DB_MODULES) for module in modules)


class Upsert(msgspec.Struct, frozen=True):
    """A contact or chat row of one chat, updated if it exists, else created (store/messages.py)."""

    table: str  # "Contact" or "Chat"
    instance_id: str
    remote_jid: str
    new: dict[str, Any]  # the other columns of a created row
    changes: dict[str, Any]  # the columns an existing row takes
    unread_delta: int = 0  # Chat: added to unreadMessages, never below 0
    row_id: str = ""  # the id a created row gets


class GroupWriter(Protocol):
    """The one writer task that group-commits the hot rows (events/outbox.py): message rows share
    a transaction with the event deliveries and with other requests' rows."""

    async def insert_messages(self, rows: list[dict[str, Any]]) -> None:
        """Returns once the rows are committed (raises what the database said otherwise)."""
        ...

    async def upsert(self, upsert: Upsert) -> bool:
        """Returns once committed: whether the row was created."""
        ...


class LeaseLost(ApiError):
    """An owner write refused by the cluster's fencing check: this node no longer holds the lease of
    the instance (it paused past it, or another node took the instance over). Nothing of it was
    stored. Answered 503: a retry reaches the new owner once this node has let the instance go."""

    status = 503
    error = "Service Unavailable"

    def __init__(self, instance_id: str) -> None:
        super().__init__("This node no longer owns the instance; try again shortly")
        self.instance_id = instance_id


class WriteFence(Protocol):
    """A cluster node's leases as the group writer checks them (cluster/fence.py): the writer's
    transaction that stores an instance's owner writes (event deliveries, message rows, contact and
    chat upserts) first runs `check_sql`, and stores only the rows of the instances it returns."""

    @property
    def node_id(self) -> str: ...

    @property
    def check_sql(self) -> str:
        """PostgreSQL, asyncpg marks: $1 instance ids (text[]), $2 their tokens (bigint[]), $3 this
        node's id; returns the ids whose lease this node still holds with that token, unexpired."""
        ...

    async def tokens(self, instance_ids: Collection[str]) -> dict[str, int]:
        """The fencing token this node believes it holds for each instance; one it does not hold is
        left out (its rows are refused without a query)."""
        ...

    def lost(self, checked: dict[str, int]) -> None:
        """The check refused these instances (id → the token checked): the node lets them go."""
        ...

    @property
    def check_one_sql(self) -> str:
        """The same check for one instance, in SQLAlchemy's marks (:instance, :token, :node), for an
        owner write made in its own transaction (`Database.check_owner`); a row when still held."""
        ...


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        # Set while the event bus's outbox writer runs; hot-path writes go through it then.
        self.group_writer: GroupWriter | None = None
        # A cluster node's leases (cluster/node.py): owner writes outside the writer check them too.
        self.fence: WriteFence | None = None
        self.is_sqlite = url.startswith("sqlite")
        self.is_mysql = url.startswith(mysql.DIALECTS)
        if self.is_sqlite:
            path = url.split(":///", 1)[1] if ":///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        elif self.is_mysql:
            self.engine = create_async_engine(
                url,
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                pool_recycle=3600,  # under the server's wait_timeout (8 h by default)
                hide_parameters=True,
                pool_timeout=CONNECT_TIMEOUT_SECONDS,
                isolation_level="READ COMMITTED",
                connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "init_command": mysql.INIT_COMMAND},
            )
        else:
            connect_args: dict[str, object] = {"timeout": CONNECT_TIMEOUT_SECONDS}
            if "prepared_statement_cache_size=0" in url:  # DATABASE_PROVIDER=psql_bouncer
                # PgBouncer in transaction mode: asyncpg keeps no statement prepared, and the ones
                # SQLAlchemy prepares inside a transaction get unique names, so two clients that
                # share a server connection never meet each other's.
                connect_args |= {"statement_cache_size": 0, "prepared_statement_name_func": _unique_statement_name}
            # pre-ping: a connection the database dropped (restart, network cut) is replaced on checkout
            # instead of failing the request; the connect timeout bounds a request while it is away.
            self.engine = create_async_engine(
                url,
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                hide_parameters=True,
                pool_timeout=CONNECT_TIMEOUT_SECONDS,
                connect_args=connect_args,
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; pooled connections that race for it sleep in its busy
        # handler (1, 2, 5 ... 100 ms). The hot path's writes take turns here instead.
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None

    async def check_owner(self, executor: AsyncSession | AsyncConnection, instance_id: str | None) -> None:
        """Fencing for an owner write made in its own transaction (a receipt, a connection state, a
        bot's session), called first inside it: on a cluster node, LeaseLost unless this node still
        holds the instance's lease with the token it believes it holds. The lease row stays locked
        FOR SHARE until the transaction ends, so no claim commits in between (events/outbox_sql.py
        `_check_fence` has the reasoning). Off a cluster it costs nothing."""
        fence = self.fence
        if fence is None or not instance_id:
            return
        token = (await fence.tokens([instance_id])).get(instance_id)
        if token is None:
            raise LeaseLost(instance_id)
        params = {"instance": instance_id, "token": token, "node": fence.node_id}
        if (await executor.execute(text(fence.check_one_sql), params)).first() is None:
            fence.lost({instance_id: token})
            raise LeaseLost(instance_id)

    @asynccontextmanager
    async def writers_turn(self) -> AsyncIterator[None]:
        """Around a short write transaction of the hot path: on SQLite one at a time in this process
        (no busy-handler sleeps), elsewhere nothing. Never nest it."""
        if self._sqlite_writer is None:
            yield
            return
        async with self._sqlite_writer:
            yield

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together or not at all."""
        async with self.sessions() as session, session.begin():
            yield session

    async def migrate(self) -> None:
        from evolution_py.store.migrate import upgrade  # noqa: PLC0415 - alembic: loaded only to migrate

        await self.check()
        await upgrade(self.engine)

    async def check(self) -> None:
        """Refuse a database the server cannot use as it is (MySQL/MariaDB: store/mysql.py)."""
        if self.is_mysql:
            async with self.engine.connect() as connection:
                await connection.run_sync(mysql.check_server)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _unique_statement_name() -> str:
    return f"__evo_{uuid.uuid4().hex}__"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers run while the outbox writer commits; foreign keys make ON DELETE CASCADE real.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
