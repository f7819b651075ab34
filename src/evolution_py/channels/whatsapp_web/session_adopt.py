"""Move a paired SQLite session file into the instance's PostgreSQL schema, once.

Files come from before WHATSMEOW_SESSION_STORE=postgresql (an upgrade of a node that kept its
sessions in DATA_DIR) and from the importers (Baileys and Evolution Go sessions are written as a
file). Adopting them makes those instances movable between nodes like the ones paired here, and
keeps a single copy of the Signal state (two copies would drift apart and break decryption).

The tables are made by whatsmeow itself (neonize's `GetAllDevices` on the DSN runs its upgrades,
with no network), then the file's rows are copied column by column, each value in the type the
PostgreSQL column has (SQLite keeps booleans as integers and a UUID as text or bytes). One
transaction: the schema holds the whole session or none of it; the file is removed only after.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from evolution_py.channels.whatsapp_web import filetype
from evolution_py.channels.whatsapp_web.pg_sessions import PostgresSessions


def create_whatsmeow_tables(dsn: str) -> None:
    """whatsmeow's own schema, at the version the bundled whatsmeow expects. Blocking (a Go call)."""
    filetype.magic_module()  # neonize imports python-magic at load; works without libmagic
    from neonize.client import ClientFactory  # noqa: PLC0415 - neonize loads only when a session moves

    ClientFactory.get_all_devices_from_db(dsn)


def read_file(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every whatsmeow table of the file but the version: table → (columns, rows). Blocking."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'whatsmeow\\_%' ESCAPE '\\'"
                " AND name != 'whatsmeow_version'"
            )
        ]
        out = {}
        for name in names:
            cursor = conn.execute(f'SELECT * FROM "{name}"')
            out[name] = ([d[0] for d in cursor.description], cursor.fetchall())
    return out


def _as(pg_type: str, value: Any) -> Any:
    if value is None:
        return None
    if pg_type == "boolean":
        return bool(value)
    if pg_type in ("bigint", "integer", "smallint"):
        return int(value)
    if pg_type == "bytea":
        return value.encode() if isinstance(value, str) else bytes(value)
    if pg_type == "uuid":
        return uuid.UUID(bytes=value) if isinstance(value, bytes) and len(value) == 16 else uuid.UUID(str(value))
    if pg_type == "text":
        return value if isinstance(value, str) else str(value)
    return value


async def adopt_file(engine: AsyncEngine, store: PostgresSessions, path: Path) -> int:
    """Copy the file's session into `store` (which holds no device); rows copied. The caller removes
    the file once this returns."""
    await store.prepare()
    await asyncio.to_thread(create_whatsmeow_tables, store.target)
    tables = await asyncio.to_thread(read_file, path)
    copied = 0
    async with engine.begin() as conn:
        found = await conn.execute(
            text("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = :s"),
            {"s": store.schema},
        )
        types: dict[str, dict[str, str]] = {}
        for table, column, data_type in found:
            types.setdefault(table, {})[column] = data_type
        # Parents before children, as whatsmeow's foreign keys need (devices first, app-state versions
        # before their MACs); a file's own table order may be any (the Go importer sorts by name).
        edges = await conn.execute(
            text(
                "SELECT child.relname, parent.relname FROM pg_constraint k"
                " JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid"
                " JOIN pg_namespace n ON n.oid = child.relnamespace WHERE k.contype = 'f' AND n.nspname = :s"
            ),
            {"s": store.schema},
        )
        graph: dict[str, set[str]] = {table: set() for table in types}
        for child, parent in edges:
            if child != parent:
                graph.setdefault(child, set()).add(parent)
        order = TopologicalSorter(graph).static_order()
        for table in order:
            target = types.get(table)
            if table == "whatsmeow_version" or target is None or table not in tables:
                continue  # whatsmeow wrote its version, or the file has no such table
            columns, rows = tables[table]
            if not rows:
                continue
            kept = [(i, c) for i, c in enumerate(columns) if c in target]
            names = ", ".join(f'"{c}"' for _i, c in kept)
            values = ", ".join(f":c{n}" for n in range(len(kept)))
            statement = text(f'INSERT INTO "{store.schema}"."{table}" ({names}) VALUES ({values})')
            params = [{f"c{n}": _as(target[c], row[i]) for n, (i, c) in enumerate(kept)} for row in rows]
            await conn.execute(statement, params)
            copied += len(rows)
    return copied
