"""Readiness: can this server do its work now? The database answers a query, and, where they are
switched on, the RabbitMQ connection is up and Redis answers PING. Each check is bounded in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from sqlalchemy import text

from evolution_py.store.db import Database

CHECK_SECONDS = 3.0
Check = Callable[[], Awaitable[None]]


async def run_checks(checks: dict[str, Check]) -> tuple[bool, dict[str, dict[str, object]]]:
    """(all passed, {name: {"status": "up"|"down", "ms": ..., "error": ...}}), checks run together."""
    names = list(checks)
    results = await asyncio.gather(*(_timed(checks[name]) for name in names))
    report = dict(zip(names, results, strict=True))
    return all(result["status"] == "up" for result in results), report


async def _timed(check: Check) -> dict[str, object]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await check()
    except TimeoutError:
        return {"status": "down", "error": f"no answer within {CHECK_SECONDS:g} s"}
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency is its "down" answer
        return {"status": "down", "error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"}
    return {"status": "up", "ms": round((time.perf_counter() - started) * 1000, 1)}


def database_check(db: Database) -> Check:
    async def check() -> None:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


def flag_check(is_up: Callable[[], bool], what: str) -> Check:
    async def check() -> None:
        if not is_up():
            raise ConnectionError(f"{what} is not connected")

    return check


def redis_check(uri: str) -> Check:
    """PING over a fresh connection (the server keeps no Redis client of its own)."""
    parts = urlsplit(uri or "redis://127.0.0.1:6379")

    async def check() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname or "127.0.0.1", parts.port or 6379)
        try:
            if parts.password:
                user = parts.username or "default"
                writer.write(_command("AUTH", user, parts.password))
                await _expect_ok(reader)
            writer.write(_command("PING"))
            answer = await reader.readline()
            if not answer.startswith(b"+PONG"):
                raise ConnectionError(f"unexpected answer to PING: {answer[:60]!r}")
        finally:
            writer.close()

    return check


def _command(*words: str) -> bytes:
    out = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


async def _expect_ok(reader: asyncio.StreamReader) -> None:
    answer = await reader.readline()
    if not answer.startswith(b"+OK"):
        raise ConnectionError("Redis refused the credentials")
