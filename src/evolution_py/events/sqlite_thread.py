"""The outbox writer's SQLite connection: a `sqlite3` connection on a thread of its own, to which a
whole transaction is handed as one call.

aiosqlite (which the writer used before) moves every statement to its thread and back: each hop is
a queue put, a wake-up of the event loop through its self-pipe and a future's callbacks, and the
two threads trade the GIL at each. A group commit of 32 inbound messages made ~70 hops (the
message rows, one per contact or chat upsert, the delivery rows, the commit); in a profile of the
inbound path the loop spent a tenth of its time in those hand-overs. Here the writer's
transaction is one function run on the connection's thread: one hop per commit round.

The connection behaves as aiosqlite's did: `sqlite3`'s default transaction handling (a BEGIN before
the first write), the same pragmas and busy timeout; errors are `sqlite3`'s own.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000")


class SqliteThread:
    """One `sqlite3` connection, used only from its own thread."""

    def __init__(self, pool: ThreadPoolExecutor, connection: sqlite3.Connection) -> None:
        self._pool = pool
        self._connection = connection

    @classmethod
    async def open(cls, path: str, busy_seconds: float = 30.0) -> SqliteThread:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-sqlite")

        def connect() -> sqlite3.Connection:
            connection = sqlite3.connect(path, timeout=busy_seconds)
            for pragma in PRAGMAS:
                connection.execute(f"PRAGMA {pragma}")
            return connection

        try:
            connection = await asyncio.get_running_loop().run_in_executor(pool, connect)
        except BaseException:
            pool.shutdown(wait=False)
            raise
        return cls(pool, connection)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` on the connection's thread; its result or its exception."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, self._connection)

    async def close(self) -> None:
        try:
            await self.run(lambda connection: connection.close())
        finally:
            self._pool.shutdown(wait=False)
