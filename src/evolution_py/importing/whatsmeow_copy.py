"""Copy one device's rows of whatsmeow's store (Evolution Go's, on PostgreSQL or SQLite) into our
per-instance session file (SQLite, whatsmeow's own schema), as is.

The tables are created from the source's own definitions: a SQLite source gives its CREATE
statements verbatim; a PostgreSQL one gives its columns (bytea → BLOB, the rest by affinity) with
the primary key. `whatsmeow_version` is copied too, so whatsmeow runs only the upgrades past it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select, text

from evolution_py.importing.source import SourceDb

# The column that names the owning device, per table (whatsmeow uses one of these two).
_OWNER_COLUMNS = ("our_jid", "jid")


def _sqlite_type(type_: Any) -> str:
    name = str(type_).upper()
    if "BYTEA" in name or "BLOB" in name or "BINARY" in name:
        return "BLOB"
    if "INT" in name:
        return "INTEGER"
    if "BOOL" in name:
        return "BOOLEAN"
    return "TEXT"


def _ddl(sync_conn: Any, names: list[str]) -> dict[str, str]:
    if sync_conn.dialect.name == "sqlite":
        rows = sync_conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all()
        return {n: s for n, s in rows if n in names}
    inspector = inspect(sync_conn)
    out = {}
    for name in names:
        columns = inspector.get_columns(name)
        pk = inspector.get_pk_constraint(name).get("constrained_columns") or []
        parts = [f'"{c["name"]}" {_sqlite_type(c["type"])}' for c in columns]
        if pk:
            parts.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in pk) + ")")
        out[name] = f'CREATE TABLE "{name}" (' + ", ".join(parts) + ")"
    return out


async def copy_device(auth: SourceDb, device_jid: str, target: Path) -> dict[str, int]:
    """Rows per table copied into `target` (created). Raises LookupError when the device is absent."""
    names = sorted(n for n in auth.columns if n.startswith("whatsmeow_"))
    if "whatsmeow_device" not in names:
        raise LookupError("no whatsmeow_device table in the session store")
    device = auth.table("whatsmeow_device")
    async with auth.connect() as conn:
        found = (await conn.execute(select(device.c.jid).where(device.c.jid == device_jid))).first()
        if found is None:
            raise LookupError(f"device {device_jid} is not in the session store")
        ddl = await conn.run_sync(_ddl, names)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(".importing")
    scratch.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    out = sqlite3.connect(scratch)
    try:
        for name in names:
            out.execute(ddl[name])
            columns = auth.columns[name]
            owner = next((c for c in _OWNER_COLUMNS if c in columns), None)
            table = auth.table(name)
            query = select(table)
            if owner is not None:
                query = query.where(table.c[owner] == device_jid)
            placeholders = ", ".join("?" for _ in columns)
            quoted = ", ".join(f'"{c}"' for c in columns)
            counts[name] = 0
            async with auth.connect() as conn:
                result = await conn.stream(query)
                async for chunk in result.partitions(500):
                    rows = [tuple(_plain(v) for v in row) for row in chunk]
                    out.executemany(f'INSERT INTO "{name}" ({quoted}) VALUES ({placeholders})', rows)
                    counts[name] += len(rows)
        out.commit()
    finally:
        out.close()
    scratch.replace(target)  # the session file appears whole or not at all
    return counts


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    return value
