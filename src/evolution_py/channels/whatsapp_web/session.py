"""The one road to neonize: the current client (and its generation), the connection facts the
features read, and `call()`, which runs a Go call with a timeout.

Rules that come from how neonize behaves (stack-facts §3):
- Every Go call parks a thread of the default executor, and during a stalled dial even `stop()` and
  `is_connected` block for ~60 s. So no Go call is awaited without a limit: a call that does not
  answer in time is left running in the background (shielded, never cancelled: cancelling runs Go
  code on the loop thread) and the caller gets a clear 400.
- Events and calls of a client that was already replaced are told apart by a generation number.
- neonize itself loads with the first client (`neonize()`), never at import: a channel that is
  not connected costs a few KB, not neonize's ~69 MB.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any, TypeVar

from evolution_py.channels.base import ChannelError, ConnectionState, InstanceContext
from evolution_py.channels.whatsapp_web import filetype

log = logging.getLogger(__name__)

T = TypeVar("T")

# The neonize client: `neonize.aioze.client.NewAClient`, or in tests a fake with the same methods.
NeonizeClient = Any


def neonize() -> ModuleType:
    """`neonize_api`, the channel's one module that imports neonize (its protobufs, enums, events,
    client class), loaded on first use: `neonize().e2e.Message(conversation=...)`."""
    filetype.magic_module()  # neonize imports `magic` at load: a stand-in where libmagic is missing
    from evolution_py.channels.whatsapp_web import neonize_api  # noqa: PLC0415 - loads with the first client

    return neonize_api


class CallTimedOut(ChannelError):
    """A Go call did not answer within its limit (a stalled socket or a blocked dial)."""

    def __init__(self) -> None:
        super().__init__("WhatsApp did not answer in time", status=400)


class Session:
    def __init__(self, ctx: InstanceContext, *, call_timeout: float) -> None:
        self.ctx = ctx
        self.call_timeout = call_timeout
        self.client: NeonizeClient | None = None
        self.generation = 0
        # Connection facts, written by the channel's lifecycle and read by the features.
        self.state: ConnectionState = "close"
        self.owner_jid: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- which client is current -----------------------------------------------------------------

    def retire(self) -> int:
        """Forget the current client: its late events and answers are ignored from now on."""
        self.generation += 1
        self.client = None
        return self.generation

    def is_current(self, generation: int) -> bool:
        return generation == self.generation

    def require_open(self) -> None:
        if self.state != "open" or self.client is None:
            raise ChannelError(f'The "{self.ctx.name}" instance is not connected', status=400)

    # --- Go calls --------------------------------------------------------------------------------

    async def call(self, use: Callable[[NeonizeClient], Awaitable[T]], *, limit: float | None = None) -> T:
        """`await session.call(lambda client: client.get_group_info(jid))`: a Go call on the current
        client, answered within `limit` (default WHATSMEOW_CALL_TIMEOUT_SECONDS) or CallTimedOut."""
        client = self.client
        if client is None:
            raise ChannelError(f'The "{self.ctx.name}" instance is not connected', status=400)
        return await self.bounded(use(client), limit)

    async def bounded(self, call: Awaitable[T], limit: float | None = None) -> T:
        """Any Go call (also on a retired client: stop, logout) with a limit; on time-out the call
        goes on in the background and the caller gets CallTimedOut."""
        try:
            return await asyncio.wait_for(asyncio.shield(self.spawn(call)), limit or self.call_timeout)
        except TimeoutError:
            raise CallTimedOut() from None

    def spawn(self, work: Awaitable[T]) -> asyncio.Task[T]:
        """A background task the session keeps a reference to (asyncio holds tasks only weakly)."""
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_task_error)
        return task


def _log_task_error(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None and not isinstance(exc, ChannelError):
        log.debug("background task failed: %r", exc)
