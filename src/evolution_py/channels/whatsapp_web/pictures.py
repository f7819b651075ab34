"""Profile picture URLs of the chats that write to us, fetched without hammering WhatsApp.

Upstream fetches the chat's picture on every incoming message. We do the same, but through a cache:
an answer (a URL, or "none") is kept for `ttl` seconds, and while one fetch of a JID is in flight
every other asker waits for that same fetch instead of starting its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Fetch = Callable[[str], Awaitable[str | None]]


class PictureCache:
    def __init__(self, fetch: Fetch, *, ttl: float = 600.0, max_entries: int = 5000) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._max = max_entries
        self._known: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
        self._in_flight: dict[str, asyncio.Future[str | None]] = {}

    async def url_of(self, jid: str) -> str | None:
        """The picture URL of `jid` (None when it has none or WhatsApp did not answer)."""
        known = self._known.get(jid)
        if known is not None and known[0] > time.monotonic():
            return known[1]
        waiting = self._in_flight.get(jid)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._in_flight[jid] = future
        url: str | None = None
        try:
            url = await self._fetch(jid)
        except Exception as exc:  # noqa: BLE001 - no picture, a private one, or no answer: upstream shows null
            log.debug("picture of %s not fetched: %s", jid, exc)
        finally:
            self._in_flight.pop(jid, None)
            if not future.done():
                future.set_result(url)  # also when this fetch was cancelled: the waiters get None
        self.remember(jid, url)
        return url

    def remember(self, jid: str, url: str | None) -> None:
        """Keep an answer (also one WhatsApp pushed: a picture change) for the TTL."""
        self._known[jid] = (time.monotonic() + self._ttl, url)
        self._known.move_to_end(jid)
        while len(self._known) > self._max:
            self._known.popitem(last=False)
