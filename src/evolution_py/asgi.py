"""`uvicorn evolution_py.asgi:app`: the server built from the environment (and ./.env), the same
ASGI app `evolution-py serve` runs (metrics, the polled route, socket.io in front when enabled)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evolution_py.app import build_asgi
from evolution_py.cli import announce_key
from evolution_py.config import load_settings

_settings = load_settings(dotenv=Path(".env"))
announce_key(_settings)  # a key generated here is printed here
app: Any = build_asgi(_settings, settle_heap=_settings.gc_freeze)
