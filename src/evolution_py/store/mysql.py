"""What MySQL and MariaDB need from us that SQLite and PostgreSQL do not.

- Every table is created utf8mb4 with a binary NO PAD collation (`utf8mb4_nopad_bin` on MariaDB,
  `utf8mb4_0900_bin` on MySQL 8; plain `utf8mb4_bin` ignores trailing spaces), whatever the
  database's default: 4-byte characters (emoji) fit, and names and JIDs compare exactly
  (`Ana` != `ana` != `ana `), as they do on PostgreSQL. Registered once, on import, for every
  `CREATE TABLE` on these dialects, so tables of later migrations get it without saying so.
- Each connection runs in strict mode (a value too long for its column is an error, never cut),
  in UTC, at READ COMMITTED (PostgreSQL's default: no gap locks between concurrent upserts).
- Start-up refuses a server that is too old or a database whose character set is not utf8mb4,
  in one line that says what to change.
- `errno_trouble` reads what an error number says (the drivers carry no SQLSTATE).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateTable

DIALECTS = ("mysql", "mariadb")
DRIVER_MODULES = ("asyncmy.", "pymysql.", "aiomysql.")
SQL_MODE = "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
INIT_COMMAND = f"SET SESSION sql_mode = '{SQL_MODE}', time_zone = '+00:00'"
MIN_MARIADB = (10, 6)
MIN_MYSQL = (8, 0)

# Error numbers (https://mariadb.com/kb/en/mariadb-error-codes/), by what they mean for a request.
UNAVAILABLE = frozenset(
    {
        1040,  # too many connections
        1053,  # server shutdown in progress
        1205,  # lock wait timeout
        1213,  # deadlock: the transaction was rolled back
        1927,  # connection was killed
        2002,  # can't connect through the socket
        2003,  # can't connect to the server
        2006,  # server has gone away
        2013,  # lost connection during a query
        2055,  # lost connection at some system error
        4031,  # disconnected by the server for inactivity
    }
)
TOO_LONG = frozenset({1406})  # data too long for column
OUT_OF_RANGE = frozenset({1264, 1690})  # out of range value; BIGINT value is out of range
BAD_VALUE = frozenset(
    {
        1265,  # data truncated
        1292,  # incorrect datetime (or other) value
        1366,  # incorrect string / integer value (a byte sequence the column cannot hold)
        1367,  # illegal value
        3140,  # invalid JSON text (MySQL)
        4025,  # CHECK constraint failed (MariaDB's JSON columns check JSON_VALID)
    }
)


class _NoPrimaryKeyNameNote(logging.Filter):
    """asyncmy logs each server note as a warning. MySQL names every primary key PRIMARY, so the
    name alembic gives its version table's is dropped with a note at each start: nothing to fix."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "ignored for PRIMARY key" not in record.getMessage()


logging.getLogger("asyncmy").addFilter(_NoPrimaryKeyNameNote())


class DatabaseSetupError(RuntimeError):
    """The database server cannot be used as it is; the message says what to change."""


@compiles(CreateTable, *DIALECTS)
def _utf8mb4_bin(create: CreateTable, compiler: Any, **kw: Any) -> str:
    sql: str = compiler.visit_create_table(create, **kw)
    options = create.element.dialect_options["mysql"]
    if options.get("charset") or options.get("collate"):
        return sql  # a table that says its own
    return sql.rstrip() + f" DEFAULT CHARSET=utf8mb4 COLLATE={exact_collation(compiler.dialect)}"


def exact_collation(dialect: Any) -> str:
    """The binary collation that also counts trailing spaces, on this server."""
    return "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"


def errno_of(e: BaseException) -> int | None:
    """The MySQL error number of a driver exception (`args[0]`), or None."""
    if not type(e).__module__.startswith(DRIVER_MODULES):
        return None
    first = e.args[0] if e.args else None
    return first if isinstance(first, int) else None


def server_version(version: str) -> tuple[str, tuple[int, int]]:
    """("MariaDB" or "MySQL", (major, minor)) of `SELECT VERSION()`."""
    kind = "MariaDB" if "mariadb" in version.lower() else "MySQL"
    # MariaDB behind some proxies reports "5.5.5-10.11.6-MariaDB": the real version is the second.
    numbers = re.findall(r"(\d+)\.(\d+)", version.removeprefix("5.5.5-"))
    major, minor = (int(numbers[0][0]), int(numbers[0][1])) if numbers else (0, 0)
    return kind, (major, minor)


def check_server(connection: Connection) -> None:
    """Refuse a server too old or a database not in utf8mb4 (run before migrating)."""
    version = str(connection.execute(text("SELECT VERSION()")).scalar_one())
    kind, number = server_version(version)
    needed = MIN_MARIADB if kind == "MariaDB" else MIN_MYSQL
    if number < needed:
        raise DatabaseSetupError(
            f"{kind} {version} is too old: evolution-py needs MariaDB {MIN_MARIADB[0]}.{MIN_MARIADB[1]} "
            f"or MySQL {MIN_MYSQL[0]}.{MIN_MYSQL[1]} or later (SKIP LOCKED, JSON, utf8mb4 index lengths); "
            "upgrade the server"
        )
    database, charset = connection.execute(text("SELECT DATABASE(), @@character_set_database")).one()
    if charset != "utf8mb4":
        raise DatabaseSetupError(
            f"database {database!r} has character set {charset}, not utf8mb4 (emoji and other 4-byte "
            f"characters would not fit): run ALTER DATABASE `{database}` CHARACTER SET utf8mb4 "
            "COLLATE utf8mb4_bin; and start again"
        )
