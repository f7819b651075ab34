"""Throw-away databases for tests: a SQLite file, or a fresh PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


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


@asynccontextmanager
async def database_env(kind: str, data_dir: Path) -> AsyncIterator[dict[str, str]]:
    if kind == "sqlite":
        yield {"DATABASE_PROVIDER": "sqlite", "DATABASE_CONNECTION_URI": f"sqlite:///{data_dir / 'evolution.db'}"}
        return
    async with postgres_database() as uri:
        yield {"DATABASE_PROVIDER": "postgresql", "DATABASE_CONNECTION_URI": uri}
