"""`uvicorn evolution_py.asgi:app`: the server built from the environment (and ./.env)."""

from __future__ import annotations

from pathlib import Path

from evolution_py.app import create_app
from evolution_py.config import load_settings

app = create_app(load_settings(dotenv=Path(".env")))
