"""The order an instance's WhatsApp events are handled in: one lane per chat, lanes side by side.

neonize posts every event as a coroutine of its own, in arrival order. Handled one at a time (as
before), a busy number took one commit round per message: on PostgreSQL ~550 messages/s whatever
the number of chats (bench/inbound_web.py). Now:
- a message or a receipt waits only for the earlier events of its own chat (a receipt never
  overtakes the message it is about, an edit never its original), and up to `limit` of them run
  at once, so their writes share the outbox writer's commits;
- every other event (connection, history sync, groups, calls, presences, pictures) is a barrier:
  it waits for everything before it and everything after it waits for it, exactly the one-at-a-time
  order of before.
Memory stays bounded: an event holds a lane only while it waits or runs.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType
from typing import Any

DEFAULT_LIMIT = 32


def chat_of(event: Any) -> str | None:
    """The chat a message (`Info.MessageSource`) or a receipt (`MessageSource`) belongs to."""
    info = getattr(event, "Info", None)
    source = getattr(info, "MessageSource", None) if info is not None else getattr(event, "MessageSource", None)
    chat = getattr(source, "Chat", None)
    user, server = getattr(chat, "User", ""), getattr(chat, "Server", "")
    return f"{user}@{server}" if user or server else None


class EventLanes:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._tails: dict[str, asyncio.Future[None]] = {}  # each chat's latest event
        self._barrier: asyncio.Future[None] | None = None  # the latest event of no chat
        self._running: set[asyncio.Future[None]] = set()  # chat events not finished
        self._slots = _Slots(limit)

    def turn(self, chat: str | None) -> Turn:
        """An event's place, taken now (call it before any await, in arrival order); `async with`
        the result waits for the events it must follow, and lets later ones go when it ends."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waits: list[asyncio.Future[None]] = []
        if self._barrier is not None:
            waits.append(self._barrier)
        if chat is None:
            waits.extend(self._running)
            self._barrier = done
            self._tails.clear()  # every later event waits for this barrier, which waits for them
            return Turn(self, waits, done, None)
        previous = self._tails.get(chat)
        if previous is not None:
            waits.append(previous)
        self._tails[chat] = done
        self._running.add(done)
        return Turn(self, waits, done, chat)

    def _finish(self, turn: Turn) -> None:
        if not turn.done.done():
            turn.done.set_result(None)
        self._running.discard(turn.done)
        if turn.chat is not None and self._tails.get(turn.chat) is turn.done:
            del self._tails[turn.chat]
        if self._barrier is turn.done:
            self._barrier = None


class Turn:
    __slots__ = ("chat", "done", "lanes", "slot", "waits")

    def __init__(
        self, lanes: EventLanes, waits: list[asyncio.Future[None]], done: asyncio.Future[None], chat: str | None
    ) -> None:
        self.lanes, self.waits, self.done, self.chat = lanes, waits, done, chat
        self.slot = False

    async def __aenter__(self) -> None:
        try:
            pending = [w for w in self.waits if not w.done()]
            if pending:
                await _all_done(pending)
            if self.chat is not None:
                await self.lanes._slots.take()
                self.slot = True
        except BaseException:
            self._end()
            raise

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._end()

    def _end(self) -> None:
        if self.slot:
            self.slot = False
            self.lanes._slots.give()
        self.lanes._finish(self)


class _Slots:
    """A counting semaphore for the lanes, first come first served. asyncio.Semaphore's acquire
    asks `locked()`, which builds a generator over its waiters on every call (Python 3.11), and
    each woken waiter removes itself with a search of the deque: with a burst of a history sync's thousands of
    events, several % of the handler (issue 22)."""

    __slots__ = ("free", "waiting")

    def __init__(self, limit: int) -> None:
        self.free = limit
        self.waiting: deque[asyncio.Future[None]] = deque()

    async def take(self) -> None:
        if self.free > 0 and not self.waiting:
            self.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        try:
            await waiter  # handed over by `give`: `free` was not put back for it
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give()  # handed a slot just as it was cancelled: pass it on
            elif waiter in self.waiting:  # `give` may have passed over it already
                self.waiting.remove(waiter)
            raise

    def give(self) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


async def _all_done(futures: list[asyncio.Future[None]]) -> None:
    """Wait until every one of `futures` is done, without ever cancelling them (a cancelled waiter
    cancels only its own future). `asyncio.wait` does the same with a set, a copy and a callback
    per future for every call: a tenth of the message handler's time in a profile (issue 22)."""
    waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    left = len(futures)

    def one_done(_future: asyncio.Future[None]) -> None:
        nonlocal left
        left -= 1
        if left == 0 and not waiter.done():
            waiter.set_result(None)

    for future in futures:
        future.add_done_callback(one_done)
    try:
        await waiter
    finally:
        if left:
            for future in futures:
                future.remove_done_callback(one_done)
