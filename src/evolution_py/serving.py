"""How `serve` bounds its connections (docs/security.md, "Connections"): a cap on open connections,
a deadline for each request head, a cap on its size, and the bind address (the body's cap,
SERVER_MAX_BODY_MB, is Litestar's `request_max_body_size`, set in app.py).

uvicorn bounds idle keep-alive connections (`timeout_keep_alive`) and counts connections for
`limit_concurrency`, but arms no timer on a new connection: a client that sends half a request line
and stalls holds its socket for ever, and 20k of them exhausted the file descriptors. The protocol
class here adds the missing pieces to uvicorn's httptools protocol."""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from evolution_py.config import Env

log = logging.getLogger(__name__)

_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\nretry-after: 1\r\ncontent-length: 20\r\n\r\nToo many connections"
)
_HEAD_TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
# Descriptors kept for everything but client sockets (database pool, SQLite files, WhatsApp sessions).
_FD_HEADROOM = 256


class ConnectionLimits(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    max_connections: int = 4096
    head_timeout: float = 10.0
    keep_alive_timeout: int = 5
    max_head_bytes: int = 64 * 1024


def connection_limits(env: Env) -> ConnectionLimits:
    """The SERVER_* variables of docs/security.md ("Connections"), parsed once at start."""
    return ConnectionLimits(
        host=env.text("SERVER_HOST", "127.0.0.1"),
        max_connections=env.integer("SERVER_MAX_CONNECTIONS", 4096, minimum=1),
        head_timeout=max(0.1, env.number("SERVER_HEADER_TIMEOUT_SECONDS", 10.0)),
        keep_alive_timeout=env.integer("SERVER_KEEP_ALIVE_TIMEOUT_SECONDS", 5, minimum=1),
        max_head_bytes=env.integer("SERVER_MAX_HEADER_BYTES", 64 * 1024, minimum=1024),
    )


def fit_descriptor_limit(limits: ConnectionLimits) -> ConnectionLimits:
    """Raise the soft RLIMIT_NOFILE towards the hard one so that the cap fits, else lower the cap:
    the cap protects only if it is reached before the descriptors run out."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + _FD_HEADROOM
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        cap = max(16, soft - _FD_HEADROOM)
        log.warning(
            "SERVER_MAX_CONNECTIONS=%d does not fit the open-files limit (%d): capping connections at %d",
            limits.max_connections,
            soft,
            cap,
        )
        return msgspec.structs.replace(limits, max_connections=cap)
    return limits


class _Guard:
    """The mixin: refuse past the cap at accept time, and close a connection whose request head is not
    complete within `head_timeout` of the connection opening or the previous answer ending."""

    limits: ConnectionLimits
    transport: asyncio.Transport
    connections: set[Any]
    cycle: Any
    loop: asyncio.AbstractEventLoop
    # Class defaults, so that the per-request paths read plain attributes (no getattr with a default).
    _guard_timer: asyncio.TimerHandle | None = None
    _guard_deadline: float = 0.0

    def _guard_arm(self) -> None:
        self._guard_waiting_on = self.cycle
        self._guard_head_bytes = 0
        # One timer per connection, moved lazily: re-arming after each answer only pushes the deadline,
        # and the timer, when it fires early, sleeps again until it (a cancel + call_later per request
        # showed in py-spy profiles of keep-alive load, issue 18).
        self._guard_deadline = self.loop.time() + self.limits.head_timeout
        if self._guard_timer is None:
            self._guard_timer = self.loop.call_at(self._guard_deadline, self._guard_expire)

    def _guard_cancel(self) -> None:
        timer = self._guard_timer
        if timer is not None:
            timer.cancel()
            self._guard_timer = None

    def _guard_waiting(self) -> bool:
        """Still waiting for a request head: no new request started since the timer was armed, and the
        socket was not handed to a websocket protocol."""
        return (
            self._guard_timer is not None
            and self.cycle is self._guard_waiting_on
            and (self.cycle is None or self.cycle.response_complete)
            and self._guard_owns_socket()
        )

    def _guard_owns_socket(self) -> bool:
        owner: object = self.transport.get_protocol()
        return owner is self

    def _guard_expire(self) -> None:
        if self.loop.time() < self._guard_deadline:  # re-armed since this timer was set
            self._guard_timer = self.loop.call_at(self._guard_deadline, self._guard_expire)
            return
        self._guard_timer = None
        if (
            self.cycle is self._guard_waiting_on
            and (self.cycle is None or self.cycle.response_complete)
            and self._guard_owns_socket()
            and not self.transport.is_closing()
        ):
            self.transport.close()

    def _guard_admit(self) -> bool:
        if len(self.connections) > self.limits.max_connections:
            self.transport.write(_REFUSED)
            self.transport.close()
            return False
        self._guard_arm()
        return True

    def _guard_head_fits(self, data: bytes) -> bool:
        """False (and the connection answered 431 and closed) when the request head awaited outgrows its
        cap. Only the head's bytes count: a body that came in the same read as its head does not."""
        if not self._guard_waiting():
            return True
        end = data.find(b"\r\n\r\n")
        self._guard_head_bytes += len(data) if end < 0 else end + 4
        if self._guard_head_bytes <= self.limits.max_head_bytes:
            return True
        self._guard_cancel()
        self.transport.write(_HEAD_TOO_LARGE)
        self.transport.close()
        return False


class GuardedHttpToolsProtocol(_Guard, HttpToolsProtocol):
    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        # uvicorn formats each access line's arguments (client address, quoted path) before the logger
        # drops it for its level: with LOG_LEVEL above INFO no line is ever written, so skip the call
        # (~2 µs a request in py-spy profiles under wrk, issue 18). At INFO the access log is as before.
        if self.access_log and not self.access_logger.isEnabledFor(logging.INFO):
            self.access_log = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._guard_admit()

    def data_received(self, data: bytes) -> None:
        if self._guard_head_fits(data):
            super().data_received(data)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._guard_arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard_cancel()
        super().connection_lost(exc)


def protocol_class(limits: ConnectionLimits) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol (uvicorn[standard] installs httptools), guarded with `limits`."""

    class Guarded(GuardedHttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, limits=limits, **kwargs)

    return Guarded
