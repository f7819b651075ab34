"""`uvicorn evolution_py.asgi:app`: the server built from the environment (and ./.env)."""

from __future__ import annotations

from pathlib import Path

from evolution_py.app import create_app
from evolution_py.cli import announce_key
from evolution_py.config import load_settings

_settings = load_settings(dotenv=Path(".env"))
announce_key(_settings)  # a key generated here is printed here
app = create_app(_settings, settle_heap=_settings.gc_freeze)
