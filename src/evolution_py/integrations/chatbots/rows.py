"""Rows as upstream's answers show them (every column, timestamps as Prisma writes them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evolution_py.isotime import iso_ms

# fetchSettings when the instance has no settings row (upstream's literal defaults).
DEFAULT_SETTINGS: dict[str, Any] = {
    "expire": 300,
    "keywordFinish": "bye",
    "delayMessage": 1000,
    "unknownMessage": "Sorry, I dont understand",
    "listeningFromMe": True,
    "stopBotFromMe": True,
    "keepOpen": False,
    "debounceTime": 1,
    "ignoreJids": [],
    "splitMessages": False,
    "timePerChar": 0,
    "fallbackId": "",
    "fallback": None,
}


def as_dict(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        out[column.key] = iso_ms(value) if isinstance(value, datetime) else value
    return out
