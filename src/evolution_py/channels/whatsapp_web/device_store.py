"""Where an instance's whatsmeow session file lives, and how its neonize client is made.

One SQLite file per instance under `<DATA_DIR>/sessions/` (whatsmeow's own schema). A shared
PostgreSQL store would need `jid=` bookkeeping to resume the right device per instance; a file per
instance keeps instances independent and `delete_session()` a file removal.
"""

from __future__ import annotations

import importlib
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evolution_py.channels.whatsapp_web.session import neonize

log = logging.getLogger(__name__)

# (session path, uuid, device) → a client with neonize's `NewAClient` interface.
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
