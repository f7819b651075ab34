"""Throw-away databases for tests: a SQLite file, or a fresh PostgreSQL or MariaDB database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncmy
import asyncpg

PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN = os.environ.get("TEST_MYSQL_URI", "mysql://root@127.0.0.1:3306")
DATABASE_KINDS = ("sqlite", "postgresql", "mariadb")


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """Create `evo_t_<random>` and drop it afterwards; yields its postgresql:// URI."""
    name = f"evo_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _mysql_admin(statement: str) -> None:
    user, _, host = MYSQL_ADMIN.removeprefix("mysql://").rpartition("@")
    name, _, password = user.partition(":")
    address, _, port = host.partition(":")
    connection = await asyncmy.connect(host=address, port=int(port or 3306), user=name or "root", password=password)
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(statement)
    finally:
        connection.close()


@asynccontextmanager
async def mariadb_database() -> AsyncIterator[str]:
    """Create `evo_t_<random>` with the server's default collation (utf8mb4_general_ci here, as a
    user's would be: the tables must still compare exactly) and drop it afterwards; yields its
    mysql:// URI (upstream's form)."""
    name = f"evo_t_{uuid.uuid4().hex[:12]}"
    await _mysql_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield f"{MYSQL_ADMIN}/{name}"
    finally:
        await _mysql_admin(f"DROP DATABASE IF EXISTS `{name}`")


@asynccontextmanager
async def database_env(kind: str, data_dir: Path) -> AsyncIterator[dict[str, str]]:
    if kind == "sqlite":
        yield {"DATABASE_PROVIDER": "sqlite", "DATABASE_CONNECTION_URI": f"sqlite:///{data_dir / 'evolution.db'}"}
        return
    if kind == "mariadb":
        async with mariadb_database() as uri:
            yield {"DATABASE_PROVIDER": "mysql", "DATABASE_CONNECTION_URI": uri}
        return
    async with postgres_database() as uri:
        yield {"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": uri}
