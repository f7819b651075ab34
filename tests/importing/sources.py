"""Old servers' databases for the import tests: Evolution API 2.3.6's schema (fixtures/*.sql, made from
its Prisma schema) on a fresh PostgreSQL or MariaDB database of our own name, filled fast."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncmy
import asyncpg

from tests.importing import upstream_data as data
from tests.support.databases import MYSQL_ADMIN, PG_ADMIN_DSN, _mysql_admin

FIXTURES = Path(__file__).parent / "fixtures"


@asynccontextmanager
async def postgres_source(ddl: str | None = "evolution_api_2.3.6.postgresql.sql") -> AsyncIterator[str]:
    name = f"evo_import_src_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    uri = f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    try:
        if ddl:
            conn = await asyncpg.connect(uri)
            try:
                await conn.execute((FIXTURES / ddl).read_text())
            finally:
                await conn.close()
        yield uri
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def mariadb_source() -> AsyncIterator[str]:
    name = f"evo_import_src_{uuid.uuid4().hex[:10]}"
    await _mysql_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        connection = await _mysql(name)
        try:
            async with connection.cursor() as cursor:
                for statement in (FIXTURES / "evolution_api_2.3.6.mysql.sql").read_text().split(";\n"):
                    if statement.strip():
                        await cursor.execute(statement)
        finally:
            connection.close()
        yield f"{MYSQL_ADMIN}/{name}"
    finally:
        await _mysql_admin(f"DROP DATABASE IF EXISTS `{name}`")


async def _mysql(database: str) -> Any:
    user, _, host = MYSQL_ADMIN.removeprefix("mysql://").rpartition("@")
    login, _, password = user.partition(":")
    address, _, port = host.partition(":")
    return await asyncmy.connect(
        host=address, port=int(port or 3306), user=login or "root", password=password, db=database, autocommit=True
    )


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _all_rows(specs: list[data.Spec], updates: int) -> Iterable[tuple[str, Iterable[dict[str, Any]]]]:
    yield "Instance", data.instances(specs)
    yield from data.small_tables(specs).items()
    for spec in specs:
        yield "Contact", data.contacts(spec)
        yield "Chat", data.chats(spec)
        yield "Message", data.messages(spec)
        yield "MessageUpdate", data.message_updates(spec, updates)


ORDER = [
    "Instance",
    "Session",
    "Setting",
    "Proxy",
    "Webhook",
    "Rabbitmq",
    "Kafka",
    "Pusher",
    "Chatwoot",
    "Typebot",
    "TypebotSetting",
    "Label",
    "Template",
    "Contact",
    "Chat",
    "Message",
    "MessageUpdate",
]


def _ordered(specs: list[data.Spec], updates: int) -> list[tuple[str, Iterable[dict[str, Any]]]]:
    return sorted(_all_rows(specs, updates), key=lambda item: ORDER.index(item[0]))


async def fill_postgres(uri: str, specs: list[data.Spec], updates: int = 50) -> None:
    """COPY each table (binary; a generator feeds it, so 100k messages never sit in memory)."""
    conn = await asyncpg.connect(uri)
    try:
        for table, rows in _ordered(specs, updates):
            iterator = iter(rows)
            first = next(iterator, None)
            if first is None:
                continue
            columns = list(first)
            records = (tuple(_cell(r[c]) for c in columns) for r in itertools.chain([first], iterator))
            await conn.copy_records_to_table(table, records=records, columns=columns)
    finally:
        await conn.close()


async def fill_mariadb(uri: str, specs: list[data.Spec], updates: int = 20) -> None:
    """Multi-row INSERTs of 500 rows, of the columns the MySQL schema has (it lags the PostgreSQL one)."""
    connection = await _mysql(uri.rsplit("/", 1)[1])
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(
                "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
            )
            known = {(t, c) for t, c in await cursor.fetchall()}
            for table, rows in _ordered(specs, updates):
                # MySQL's schema has Chat @@unique([instanceId, remoteJid]): no duplicate chat there.
                iterator = (r for r in rows if not str(r["id"]).endswith("-dup"))
                while chunk := list(itertools.islice(iterator, 500)):
                    columns = [c for c in chunk[0] if (table, c) in known]
                    sql = f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in columns)}) VALUES " + ", ".join(
                        ["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk)
                    )
                    await cursor.execute(sql, [_cell(r[c]) for r in chunk for c in columns])
    finally:
        connection.close()
