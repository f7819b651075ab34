"""What MySQL/MariaDB does differently, each handled on purpose (issue 21), on the real MariaDB.

Migrations from empty and from each earlier revision, utf8mb4 with exact comparison, 4-byte
characters, microsecond times, double-precision epochs, strict mode (too long is an error we
answer as 400, never a cut), and the start-up checks.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

import evolution_py.app  # noqa: F401 - registers every slice's tables on Base.metadata
from evolution_py.config import ConfigError, load_settings
from evolution_py.store import mysql
from evolution_py.store.db import Database, Trouble, trouble
from evolution_py.store.migrate import upgrade
from evolution_py.store.models import Base, Contact, EventDelivery, Instance, InstanceLog
from tests.support.databases import _mysql_admin, mariadb_database

SRC = Path(__file__).resolve().parents[2] / "src"
MIGRATIONS = SRC / "evolution_py" / "store" / "migrations"


def _revisions() -> tuple[str, ...]:
    """Every revision, oldest first, as the scripts chain them (other issues keep adding some)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return tuple(reversed([script.revision for script in ScriptDirectory.from_config(config).walk_revisions()]))


REVISIONS = _revisions()


def engine_url(uri: str) -> str:
    return uri.replace("mysql://", "mysql+asyncmy://", 1) + "?charset=utf8mb4"


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with mariadb_database() as uri:
        database = Database(engine_url(uri))
        await database.migrate()
        yield database
        await database.dispose()


@pytest.mark.parametrize("start", ["empty", *REVISIONS[:-1]])
async def test_migrations_run_from_empty_and_from_each_earlier_revision(start: str) -> None:
    async with mariadb_database() as uri:
        database = Database(engine_url(uri))
        try:
            if start != "empty":
                await upgrade(database.engine, start)
            await database.migrate()
            async with database.engine.connect() as connection:
                head = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
                tables = (
                    await connection.execute(
                        text(
                            "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
                            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'alembic_version'"
                        )
                    )
                ).all()
                scope = (
                    await connection.execute(
                        text(
                            "SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                            "AND TABLE_NAME = 'EventDelivery' AND COLUMN_NAME = 'scope'"
                        )
                    )
                ).scalar_one()
        finally:
            await database.dispose()
    assert head == REVISIONS[-1]
    assert {name for name, _collation in tables} == set(Base.metadata.tables)
    # The test database's default is utf8mb4_general_ci: every table still compares exactly.
    assert {collation for _name, collation in tables} == {"utf8mb4_nopad_bin"}, tables
    assert scope == "'global'"


async def test_column_types_where_mysql_differs(db: Database) -> None:
    async with db.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME), COLUMN_TYPE FROM information_schema.COLUMNS "
                    "WHERE TABLE_SCHEMA = DATABASE()"
                )
            )
        ).all()
    types: dict[str, str] = {str(name): str(kind) for name, kind in rows}
    assert types["Instance.id"] == "varchar(191)"  # indexable key, Prisma's MySQL length
    assert types["Message.instanceId"] == "varchar(191)"
    assert types["EventDelivery.payload"] == "longtext"  # base64 media fits
    assert types["Instance.createdAt"] == "datetime(6)"
    assert types["EventDelivery.createdAt"] == "double"  # not FLOAT's 24 bits


async def test_names_and_jids_compare_exactly_and_keep_4_byte_characters(db: Database) -> None:
    async with db.transaction() as session:
        session.add(Instance(id="i1", name="Loja 😀", connectionStatus="open"))
        session.add(Instance(id="i2", name="loja 😀", connectionStatus="open"))  # differs in case only
        session.add(Instance(id="i3", name="loja 😀 ", connectionStatus="open"))  # a trailing space
    async with db.transaction() as session:
        session.add(Contact(remoteJid="ABC@lid", pushName="Zoë 🧡𝄞", instanceId="i1"))
        session.add(Contact(remoteJid="abc@lid", pushName="x", instanceId="i1"))
    async with db.session() as session:
        names = (await session.execute(select(Instance.name).where(Instance.name == "loja 😀"))).scalars().all()
        contact = (await session.execute(select(Contact).where(Contact.remoteJid == "ABC@lid"))).scalar_one()
    assert names == ["loja 😀"]
    assert contact.pushName == "Zoë 🧡𝄞"


async def test_times_keep_microseconds_and_epochs_keep_double_precision(db: Database) -> None:
    stamp = datetime(2026, 12, 3, 10, 0, 0, 123456)
    epoch = time.time()
    async with db.transaction() as session:
        session.add(Instance(id="i1", name="a", connectionStatus="open"))
    async with db.transaction() as session:
        session.add(InstanceLog(instanceId="i1", timestamp=stamp, level="info", message="x"))
        session.add(
            EventDelivery(
                id="d1", eventId="e1", event="x", instanceId="i1", instanceName="a", sink="webhook", target="t",
                payload="p" * 200_000, status="pending", attempts=0, availableAt=epoch, createdAt=epoch,
            )
        )  # fmt: skip
    async with db.session() as session:
        assert (await session.execute(select(InstanceLog.timestamp))).scalar_one() == stamp
        row = (await session.execute(select(EventDelivery))).scalar_one()
    assert row.createdAt == epoch and len(row.payload) == 200_000


async def test_too_long_is_refused_never_cut(db: Database) -> None:
    with pytest.raises(DBAPIError) as refused:
        async with db.transaction() as session:
            session.add(Instance(id="i1", name="n" * 256, connectionStatus="open"))
    assert trouble(refused.value) is Trouble.TOO_LONG
    async with db.session() as session:
        assert (await session.execute(select(Instance))).first() is None


async def test_a_latin1_database_is_refused_with_what_to_change() -> None:
    async with mariadb_database() as uri:
        name = uri.rsplit("/", 1)[1]
        await _mysql_admin(f"ALTER DATABASE `{name}` CHARACTER SET latin1")
        database = Database(engine_url(uri))
        try:
            with pytest.raises(mysql.DatabaseSetupError) as refused:
                await database.migrate()
        finally:
            await database.dispose()
    message = str(refused.value)
    assert "\n" not in message
    assert f"ALTER DATABASE `{name}` CHARACTER SET utf8mb4" in message and "latin1" in message


def test_server_versions() -> None:
    assert mysql.server_version("10.11.19-MariaDB-0+deb12u1") == ("MariaDB", (10, 11))
    assert mysql.server_version("5.5.5-10.5.2-MariaDB") == ("MariaDB", (10, 5))
    assert mysql.server_version("8.0.36") == ("MySQL", (8, 0))
    assert mysql.server_version("5.7.44-log") == ("MySQL", (5, 7))


def test_provider_uris(tmp_path: Path) -> None:
    def url(provider: str, uri: str) -> str:
        env = {"DATA_DIR": str(tmp_path), "DATABASE_PROVIDER": provider, "DATABASE_CONNECTION_URI": uri}
        return load_settings(environ=env).database_url

    assert url("mysql", "mysql://root@127.0.0.1:3306/evolution") == (
        "mysql+asyncmy://root@127.0.0.1:3306/evolution?charset=utf8mb4"
    )
    assert url("mysql", "mysql://u:p@db/evo?connection_limit=5&ssl=true") == (
        "mysql+asyncmy://u:p@db/evo?charset=utf8mb4&ssl=true"
    )
    assert url("psql_bouncer", "postgresql://u@127.0.0.1:6432/evo?schema=public") == (
        "postgresql+asyncpg://u@127.0.0.1:6432/evo?prepared_statement_cache_size=0"
    )
    both = {
        "DATA_DIR": str(tmp_path),
        "DATABASE_PROVIDER": "psql_bouncer",
        "DATABASE_CONNECTION_URI": "postgresql://u@db:5432/evo",
        "DATABASE_BOUNCER_CONNECTION_URI": "postgresql://u@pgb:6432/evo",
    }
    assert (
        load_settings(environ=both).database_url
        == "postgresql+asyncpg://u@pgb:6432/evo?prepared_statement_cache_size=0"
    )
    with pytest.raises(ConfigError, match="expected mysql://"):
        url("mysql", "postgresql://u@h/db")


async def test_the_start_stops_with_one_line_on_a_latin1_database(tmp_path: Path) -> None:
    async with mariadb_database() as uri:
        await _mysql_admin(f"ALTER DATABASE `{uri.rsplit('/', 1)[1]}` CHARACTER SET latin1")
        env = {**os.environ, "PYTHONPATH": str(SRC), "DATABASE_PROVIDER": "mysql", "DATABASE_CONNECTION_URI": uri,
               "DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": "a-long-test-key-0123456789"}  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "evolution_py", "--env-file", "/dev/null", "migrate",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _out, err = await process.communicate()
    assert process.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evolution-py: database error: database "), lines
    assert "CHARACTER SET utf8mb4" in lines[0]
