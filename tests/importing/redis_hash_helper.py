"""A Redis hash set up for a test and removed after (the real Redis on loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


async def _command(*args: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", 6379)
    try:
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        writer.write(b"".join(parts))
        await writer.drain()
        return await reader.readline()
    finally:
        writer.close()


@asynccontextmanager
async def redis_hash(key: str, fields: dict[str, str]) -> AsyncIterator[None]:
    flat = [x for pair in fields.items() for x in pair]
    reply = await _command("HSET", key, *flat)
    assert reply.startswith(b":"), reply
    try:
        yield
    finally:
        await _command("DEL", key)
