"""What a sink reads of an outside receiver's answer: a small prefix, never the whole body, and
what it may say of a failed answer: its status, never its body.

A receiver answering 1.5 GB once took the server to 3 GB of memory, because the answer was read
whole only to be dropped: at most `ANSWER_PREFIX_BYTES` are read; when more follows, the connection
is closed instead of drained.

A failure's reason (`lastError`, logs) quotes nothing of the answer: a tenant could point its
webhook at an internal service and read that service's answer back through `/events/dead`.
"""

from __future__ import annotations

import aiohttp

from evolution_py.outbound.client import status_reason

ANSWER_PREFIX_BYTES = 4096
# The longest reason a failure stores (what `lastError` and the logs show).
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


def failure_reason(status: int) -> str:
    """`HTTP 500 Internal Server Error`, nothing of the answer's body (see the module's note)."""
    return status_reason(status)
