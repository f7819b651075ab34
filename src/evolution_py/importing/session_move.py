"""After an instance's session file is written: with WHATSMEOW_SESSION_STORE=postgresql, move it into
the instance's own schema at once (docs/cluster.md, "WhatsApp Web sessions"), so whichever node owns
the instance resumes it, not only one whose DATA_DIR holds the file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from evolution_py.channels.whatsapp_web.device_store import has_session, remove_session, session_path
from evolution_py.channels.whatsapp_web.pg_sessions import PostgresSessions
from evolution_py.channels.whatsapp_web.session_adopt import adopt_file


async def move_session(engine: AsyncEngine, dsn: str, data_dir: str, instance_id: str) -> str | None:
    """A line for the report, or None when there is no paired file to move."""
    path = session_path(data_dir, instance_id)
    if not await asyncio.to_thread(has_session, path):
        return None
    store = PostgresSessions(engine, dsn, instance_id)
    live = await store.paired_device()
    if live is not None:
        # The live session is the one in PostgreSQL (a run before this one moved it). A file of the
        # same device is an older copy of its keys: dropped. Another device's is left to the operator.
        if await asyncio.to_thread(_device_of, path) == live:
            await asyncio.to_thread(remove_session, path)
            return f"session: already in PostgreSQL for {live} (kept)"
        return f"session: PostgreSQL already holds device {live} (kept); {path.name} is not used"
    try:
        rows = await adopt_file(engine, store, path)
    except Exception as exc:  # noqa: BLE001 - the file stays; the server moves it at the instance's start
        return f"session: not moved into PostgreSQL ({type(exc).__name__}); it moves at the instance's first start"
    await asyncio.to_thread(remove_session, path)
    return f"session: moved into PostgreSQL (schema {store.schema}, {rows} rows)"


def _device_of(path: Path) -> str | None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT jid FROM whatsmeow_device ORDER BY jid").fetchone()
    return str(row[0]) if row else None
