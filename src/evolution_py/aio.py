"""Small asyncio helpers for the message path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

A = TypeVar("A")
B = TypeVar("B")


async def both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """`asyncio.gather(first, second)` with one task instead of two: `first` runs in the caller's
    task, `second` in a task of its own, and `first` still takes its first step before `second`
    does (their writes reach the outbox writer in that order, to share its next commit). Each
    task cost more than the work of the upserts it ran (issue 22's profile of the inbound path).

    As with gather: a failure of `first` is raised while `second` goes on (its own outcome is
    retrieved, never reported as lost); cancelling the caller cancels both. A failure of `second`
    is raised once `first` is done, not before."""
    later = asyncio.ensure_future(second)
    try:
        result = await first
    except asyncio.CancelledError:
        later.cancel()
        raise
    except BaseException:
        later.add_done_callback(_retrieve)
        raise
    return result, await later


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
