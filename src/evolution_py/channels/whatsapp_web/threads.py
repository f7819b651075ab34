"""Enough executor threads for neonize: every live client parks one default-executor thread in its Go
`Neonize()` call for its whole life, and every other Go call needs one more (stack-facts §3). When
live clients approach the pool's size, all WhatsApp calls of the process would queue behind them, so
the pool is replaced by one twice as large before that happens."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

HEADROOM = 16  # threads left for the short Go calls (sends, checks, stops) and for other to_thread users
_live: dict[int, int] = {}  # per event loop: dials/clients holding a thread
_capacity: dict[int, int] = {}  # per event loop: size of the pool we know is the default


def client_started(base_capacity: int) -> None:
    """A client's connect task now holds a thread; grow the default pool if it would run short."""
    loop = asyncio.get_running_loop()
    key = id(loop)
    _live[key] = _live.get(key, 0) + 1
    current = getattr(loop, "_default_executor", None)  # readable on asyncio's loop, not on uvloop's
    if isinstance(current, ThreadPoolExecutor):
        capacity = current._max_workers
    else:
        capacity = _capacity.setdefault(key, base_capacity)
    needed = _live[key] + HEADROOM
    if needed <= capacity:
        return
    while capacity < needed:
        capacity *= 2
    # The old pool keeps serving the calls it already runs; new calls go to the larger one.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=capacity, thread_name_prefix="asyncio-neonize"))
    _capacity[key] = capacity
    log.info("%d WhatsApp clients: default executor grown to %d threads", _live[key], capacity)


def client_stopped() -> None:
    key = id(asyncio.get_running_loop())
    _live[key] = max(0, _live.get(key, 0) - 1)


def live_clients() -> int:
    return _live.get(id(asyncio.get_running_loop()), 0)
