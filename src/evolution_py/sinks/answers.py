"""What a sink reads of an outside receiver's answer: a small prefix, never the whole body.

A receiver answering 1.5 GB once took the server to 3 GB of memory, because the answer was read
whole only to be dropped. Nothing needs more than a short reason for a failure, so at most
`ANSWER_PREFIX_BYTES` are read; when more follows, the connection is closed instead of drained.
"""

from __future__ import annotations

import aiohttp

from evolution_py.store.safe_text import short_reason

ANSWER_PREFIX_BYTES = 4096
# Characters of that prefix kept in a failure's reason (what `lastError` and the logs show).
REASON_CHARS = 200


async def read_prefix(response: aiohttp.ClientResponse, limit: int = ANSWER_PREFIX_BYTES) -> bytes:
    """At most `limit` bytes of the body. If the body goes on, the connection is closed: the rest
    is never read (nor kept by the pool for a later request to trip over)."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if not response.content.at_eof():
        response.close()
    return b"".join(chunks)


def failure_reason(status: int, prefix: bytes, content_encoding: str | None) -> str:
    """`HTTP 500: <a short, one-line, printable prefix of the body>`; a compressed body (read raw,
    never inflated: no zip bomb) is not shown."""
    if content_encoding and content_encoding.strip().lower() != "identity":
        encoding = short_reason(content_encoding.encode("utf-8", "replace"), 20)
        return f"HTTP {status} ({encoding} body not shown)"
    reason = short_reason(prefix, REASON_CHARS)
    return f"HTTP {status}: {reason}" if reason else f"HTTP {status}"
