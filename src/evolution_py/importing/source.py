"""The old server's database, opened read-only: which tables and columns it has, and keyset pages of rows."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import column, func, inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


class SourceError(ValueError):
    pass


def async_url(url: str) -> str:
    """postgresql:// (Prisma's `?schema=` dropped), mysql://, sqlite:///path or a bare path, as an
    SQLAlchemy async URL. SQLite is opened read-only (mode=ro)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            base, _, query = rest.partition("?")
            kept = [p for p in query.split("&") if p and not p.startswith("schema=")]
            return "postgresql+asyncpg://" + base + ("?" + "&".join(kept) if kept else "")
    for prefix in ("mysql+asyncmy://", "mysql://", "mariadb://"):
        if url.startswith(prefix):
            return "mysql+asyncmy://" + url[len(prefix) :]
    path = url
    for prefix in ("sqlite+aiosqlite:///", "sqlite:///", "file:"):
        if url.startswith(prefix):
            path = url[len(prefix) :]
            break
    if "://" in path:
        raise SourceError(f"--source-url: unsupported database URL scheme in {path.split('://')[0]!r}")
    return f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"


@dataclass
class SourceDb:
    """Columns per table (as the source has them: a subset of the schema is fine)."""

    engine: AsyncEngine
    columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def has(self, name: str) -> bool:
        return name in self.columns

    def table(self, name: str) -> Any:
        return table(name, *(column(c) for c in self.columns[name]))

    async def count(self, name: str, where: dict[str, Any]) -> int:
        t = self.table(name)
        async with self.connect() as conn:
            query = select(func.count()).select_from(t)
            for key, value in where.items():
                query = query.where(t.c[key] == value)
            return int((await conn.execute(query)).scalar_one())

    async def all(self, name: str) -> list[dict[str, Any]]:
        """A small table whole (instances)."""
        t = self.table(name)
        async with self.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(select(t).order_by(t.c[self.columns[name][0]]))]

    async def pages(
        self, name: str, key: str, where: dict[str, Any], after: Any, size: int
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        """Rows ordered by `key`, `size` at a time, starting past `after`: memory stays one page, and a
        resumed run starts exactly where the last committed page ended."""
        t = self.table(name)
        while True:
            query = select(t).order_by(t.c[key]).limit(size)
            for column_name, value in where.items():
                query = query.where(t.c[column_name] == value)
            if after is not None:
                query = query.where(t.c[key] > after)
            async with self.connect() as conn:
                rows = [dict(r._mapping) for r in await conn.execute(query)]
            if not rows:
                return
            yield rows
            after = rows[-1][key]
            if len(rows) < size:
                return

    def connect(self) -> Any:
        return _ReadOnly(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()


class _ReadOnly:
    """A connection whose transaction is read-only where the database can say so (PostgreSQL, MySQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.conn: AsyncConnection | None = None

    async def __aenter__(self) -> AsyncConnection:
        self.conn = await self.engine.connect()
        if self.engine.dialect.name == "postgresql":
            await self.conn.execute(text("SET TRANSACTION READ ONLY"))
        elif self.engine.dialect.name in ("mysql", "mariadb"):
            await self.conn.execute(text("SET SESSION TRANSACTION READ ONLY"))
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        assert self.conn is not None
        await self.conn.rollback()
        await self.conn.close()


async def open_source(url: str) -> SourceDb:
    engine = create_async_engine(async_url(url), hide_parameters=True, pool_size=2)
    source = SourceDb(engine)
    try:
        async with engine.connect() as conn:
            source.columns = await conn.run_sync(_columns)
    except Exception as exc:  # noqa: BLE001 - any driver's failure becomes one line for the operator
        await engine.dispose()
        raise SourceError(f"cannot read the source database: {type(exc).__name__}: {exc}") from None
    return source


def _columns(sync_conn: Any) -> dict[str, list[str]]:
    inspector = inspect(sync_conn)
    return {name: [c["name"] for c in inspector.get_columns(name)] for name in inspector.get_table_names()}
