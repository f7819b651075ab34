"""Where an instance's whatsmeow session lives, and how its neonize client is made.

- `WHATSMEOW_SESSION_STORE=file`: one SQLite file per instance under `<DATA_DIR>/sessions/`
  (whatsmeow's own schema); `delete_session()` removes the file.
- `WHATSMEOW_SESSION_STORE=postgresql` (the default on PostgreSQL): one schema per instance in the
  main database (`pg_sessions.py`), so whichever node owns the instance resumes it without a QR.
  A paired SQLite file from before (or from an importer) is moved into the schema at the next
  start (`session_adopt.py`); if that fails the file is used as it is, so no one is logged out.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from evolution_py.channels.whatsapp_web.pg_sessions import PostgresSessions
from evolution_py.channels.whatsapp_web.session import neonize
from evolution_py.channels.whatsapp_web.session_adopt import adopt_file

log = logging.getLogger(__name__)

# (session path or PostgreSQL DSN, uuid, device) → a client with neonize's `NewAClient` interface.
ClientFactory = Callable[[str, str, "DeviceOptions"], Any]


class DeviceOptions:
    """How the linked device presents itself (CONFIG_SESSION_PHONE_*) and whether it asks for full history."""

    def __init__(self, client_name: str, browser: str, full_history: bool) -> None:
        self.client_name = client_name
        self.browser = browser
        self.full_history = full_history

    def props(self) -> Any:
        device_props = neonize().DeviceProps
        platform = getattr(device_props, self.browser.upper(), device_props.CHROME)
        return device_props(os=self.client_name, platformType=platform, requireFullSync=self.full_history)


def session_path(data_dir: str, instance_id: str) -> Path:
    return Path(data_dir) / "sessions" / f"{instance_id}.db"


def has_session(path: Path) -> bool:
    """True when the store holds a paired device (the file alone is created by any connect attempt)."""
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as conn:
            row = conn.execute("SELECT count(*) FROM whatsmeow_device").fetchone()
        return bool(row and row[0])
    except sqlite3.Error:
        return False


def remove_session(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(str(path) + suffix)
        try:
            candidate.unlink()
        except FileNotFoundError:
            pass


def neonize_client(path: str, uuid: str, device: DeviceOptions) -> Any:
    """The real client: neonize loads here, with the first client a channel opens."""
    return neonize().NewAClient(path, uuid=uuid, props=device.props())


def resolve_client_factory(spec: str | None) -> ClientFactory:
    """`WHATSMEOW_CLIENT_FACTORY=module:attr` swaps the client (tests run the real server on a fake)."""
    if not spec:
        return neonize_client
    module_name, _, attr = spec.partition(":")
    factory: ClientFactory = getattr(importlib.import_module(module_name), attr or "create")
    return factory


def ensure_dir(path: Path) -> None:
    os.makedirs(path.parent, exist_ok=True)


class InstanceSessions:
    """One instance's session store as the channel sees it: what a client opens, whether a device is
    paired (so a start resumes without a QR code), and removal on logout and delete."""

    def __init__(self, instance_name: str, file_path: Path, postgres: PostgresSessions | None) -> None:
        self._name = instance_name
        self.file_path = file_path
        self.postgres = postgres

    async def has_session(self, if_unknown: bool = False) -> bool:
        """A paired device in the store; `if_unknown` when PostgreSQL cannot answer right now."""
        if self.postgres is not None:
            try:
                if await self.postgres.has_session():
                    return True
            except (SQLAlchemyError, OSError) as exc:  # OSError: a connection refused or timed out unwrapped
                # Raised from here, the error would end the dial watcher: no redial, ever.
                log.warning("instance %s: session store unreadable: %s", self._name, type(exc).__name__)
                return if_unknown
        return await asyncio.to_thread(has_session, self.file_path)

    async def open_target(self) -> str:
        """What the next client is given as its store (a path or a DSN), made ready for it."""
        if self.postgres is None:
            await asyncio.to_thread(ensure_dir, self.file_path)
            return str(self.file_path)
        if not await self.postgres.has_session() and await asyncio.to_thread(has_session, self.file_path):
            try:
                copied = await adopt_file(self.postgres.engine, self.postgres, self.file_path)
            except Exception as exc:  # noqa: BLE001 - the file still works: resume from it, move it later
                # only the type: a database error's text may carry the rows' values (Signal keys)
                log.warning(
                    "instance %s: its session file was not moved into PostgreSQL (%s); resuming from the file",
                    self._name,
                    type(exc).__name__,
                )
                return str(self.file_path)
            await asyncio.to_thread(remove_session, self.file_path)
            log.info("instance %s: session file moved into PostgreSQL (%d rows)", self._name, copied)
        await self.postgres.prepare()
        return self.postgres.target

    async def remove(self) -> None:
        await asyncio.to_thread(remove_session, self.file_path)
        if self.postgres is not None:
            await self.postgres.remove()


def instance_sessions(
    instance_id: str,
    instance_name: str,
    data_dir: str,
    store: str,
    dsn: str,
    engine: AsyncEngine | None,
    idle_seconds: int = 0,
) -> InstanceSessions:
    path = session_path(data_dir, instance_id)
    if store != "postgresql":
        return InstanceSessions(instance_name, path, None)
    if engine is None or not dsn:  # never fall back to a file quietly: the node would lose the session on a move
        raise RuntimeError("WHATSMEOW_SESSION_STORE=postgresql needs the PostgreSQL database and its DSN")
    return InstanceSessions(instance_name, path, PostgresSessions(engine, dsn, instance_id, idle_seconds))
