"""HGETALL over RESP, enough to read one Redis hash (the old server's Baileys keys) without adding a
Redis client dependency for a one-off import."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote, urlparse

TIMEOUT_SECONDS = 10.0


async def hgetall(url: str, key: str) -> dict[bytes, bytes]:
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ValueError("--redis-url: expected redis://[user:password@]host:port[/db]")
    ssl = parsed.scheme == "rediss"
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(parsed.hostname or "127.0.0.1", parsed.port or 6379, ssl=ssl or None),
        TIMEOUT_SECONDS,
    )
    try:
        if parsed.password:
            auth = [unquote(parsed.username or "default"), unquote(parsed.password)]
            await _call(reader, writer, ["AUTH", *auth])
        db = (parsed.path or "/").strip("/")
        if db:
            await _call(reader, writer, ["SELECT", db])
        flat = await _call(reader, writer, ["HGETALL", key])
    finally:
        writer.close()
    assert isinstance(flat, list)
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


async def _call(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, args: list[str]) -> object:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    writer.write(b"".join(parts))
    await writer.drain()
    return await asyncio.wait_for(_read(reader), TIMEOUT_SECONDS)


async def _read(reader: asyncio.StreamReader) -> object:
    line = (await reader.readline()).rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind == b"-":
        raise ConnectionError(f"redis: {rest.decode(errors='replace')}")
    if kind in (b"+", b":"):
        return rest
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else (await reader.readexactly(size + 2))[:-2]
    if kind in (b"*", b"%"):
        count = int(rest) * (2 if kind == b"%" else 1)
        return [await _read(reader) for _ in range(max(count, 0))]
    raise ConnectionError("redis: unexpected reply")
