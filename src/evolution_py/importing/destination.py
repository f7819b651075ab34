"""Our database as the import writes it: every table of every slice, rows coerced to our column types
and inserted only where absent (never updated, so a second run changes nothing)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, Table, func, select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from evolution_py.store.db import Database
from evolution_py.store.models import Base
from evolution_py.store.safe_text import safe_json, safe_text


def our_tables() -> dict[str, Table]:
    """All tables, the slices' too (their models register on the shared Base when imported)."""
    import evolution_py.channels.cloud_api.models  # noqa: PLC0415
    import evolution_py.integrations.chatbots.models  # noqa: PLC0415
    import evolution_py.integrations.chatwoot.models  # noqa: PLC0415
    import evolution_py.media_store.models  # noqa: PLC0415
    import evolution_py.sinks.kafka.models  # noqa: PLC0415
    import evolution_py.sinks.pusher.models  # noqa: F401, PLC0415

    return dict(Base.metadata.tables)


def _coerce(value: Any, kind: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, JSON) and isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(kind, Boolean) and not isinstance(value, bool):
        return str(value).lower() in ("1", "true", "t", "yes")
    if isinstance(kind, DateTime) and isinstance(value, str):
        return _parse_time(value)
    if isinstance(kind, DateTime) and isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)  # upstream's Media.createdAt is a DATE
    if isinstance(kind, DateTime) and isinstance(value, datetime) and value.tzinfo is not None:
        return _naive_utc(value)
    if isinstance(kind, Integer) and not isinstance(value, int):
        return int(value)
    return value


def _safe(value: Any) -> Any:
    """Text from the old server (once outside text: messages, push names) made safe for our database
    as every other write makes it: a MySQL or SQLite source may hold a NUL or a lone surrogate that
    PostgreSQL refuses, which would fail the whole batch."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict | list):
        return safe_json(value)
    return value


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _parse_time(value: str) -> datetime:
    text = value.strip().replace("T", " ").replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return _naive_utc(moment) if moment.tzinfo is not None else moment


class Destination:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.tables = our_tables()

    @property
    def dialect(self) -> str:
        return self.db.engine.dialect.name

    def shape(self, name: str, row: dict[str, Any]) -> dict[str, Any]:
        """Keep the columns we have, as our types: a column we lack is dropped (reported by the plan)."""
        columns = self.tables[name].c
        return {key: _safe(_coerce(value, columns[key].type)) for key, value in row.items() if key in columns}

    def _insert(self, table: Table) -> Any:
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        if self.dialect == "sqlite":
            return sqlite.insert(table).on_conflict_do_nothing()
        return mysql.insert(table).prefix_with("IGNORE")

    async def insert_absent(self, name: str, rows: list[dict[str, Any]]) -> tuple[int, int]:
        """Insert the rows not there yet (same id, or same other unique key), in one transaction; never
        update one. Returns (inserted, already present)."""
        if not rows:
            return 0, 0
        table = self.tables[name]
        async with self.db.transaction() as session:
            if self.dialect in ("postgresql", "sqlite"):
                # RETURNING lists only the rows the insert wrote (a conflict returns nothing).
                result = await session.execute(self._insert(table).returning(table.c.id), rows)
                inserted = len(result.all())
            else:
                ids = [r["id"] for r in rows]
                count = select(func.count()).select_from(table).where(table.c.id.in_(ids))
                before = int(await session.scalar(count) or 0)
                await session.execute(self._insert(table), rows)
                inserted = int(await session.scalar(count) or 0) - before
        return inserted, len(rows) - inserted

    async def exists(self, name: str, where: Callable[[Table], Any]) -> dict[str, Any] | None:
        table = self.tables[name]
        async with self.db.session() as session:
            row = (await session.execute(select(table).where(where(table)).limit(1))).first()
        return dict(row._mapping) if row is not None else None
