"""One connection to the database before anything starts, so a bad DATABASE_CONNECTION_URI or a
database out of reach stops `serve` / `migrate` with one line that names the cause first, instead of
the lifespan's long traceback."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.engine import make_url

from evolution_py.store.db import Database

TIMEOUT_SECONDS = 10.0


async def database_problem(url: str, limit_seconds: float = TIMEOUT_SECONDS) -> str | None:
    """Why the database at `url` cannot be used (one line, no password), or None when it answers."""
    try:
        where = make_url(url).render_as_string(hide_password=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the answer
        return f"{_cause(exc)} (DATABASE_CONNECTION_URI cannot be parsed)"
    try:
        engine = Database(url).engine  # the server's own engine settings (and SQLite's folder made)
    except Exception as exc:  # noqa: BLE001 - a driver or argument SQLAlchemy refuses
        return f"{_cause(exc)} ({where})"
    try:
        async with asyncio.timeout(limit_seconds):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except TimeoutError:
        return f"no answer within {limit_seconds:g} s ({where})"
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, its message is the cause
        return f"{_cause(exc)} ({where})"
    finally:
        await engine.dispose()
    return None


def _cause(exc: BaseException) -> str:
    """The innermost exception's own words: a driver's error, not SQLAlchemy's wrapper around it."""
    while True:
        inner = getattr(exc, "orig", None) or exc.__cause__
        if not isinstance(inner, BaseException) or inner is exc:
            break
        exc = inner
    words = " ".join(str(exc).split()) or type(exc).__name__
    first = words.split(" [SQL:")[0].split("(Background on this error")[0].strip()
    return f"{type(exc).__name__}: {first[:300]}"
