"""Backpressure: a bounded number of HTTP requests in flight, per process and per instance.

Past a bound a request is refused at once with 503, `Retry-After` and upstream's error envelope,
instead of queueing behind thousands of others for seconds (and every queued one then timing out
at its client anyway). `SERVER_MAX_INFLIGHT` bounds the process, `INSTANCE_MAX_INFLIGHT` the
requests naming one instance (the `{instanceName}` of the route), so one tenant's flood cannot
take every slot. 0 switches a bound off. Health and metrics routes are never refused.

A count alone does not bound the wait: when the machine slows down (another process takes the
CPU, the database stalls), 512 requests in flight can mean seconds each. `SERVER_MAX_WAIT_MS` bounds
the time instead, as CoDel does for packets: when even the fastest request that finished within the
last 100 ms took longer than that (and at least 16 finished: a busy server), a queue is standing,
and new requests are refused until the ones in flight drain. A few slow requests, such as sends
with a long `delay`, do not trigger it: the fastest one counts.

It is a Litestar middleware, so it runs inside Litestar's CORS middleware: a browser client sees
the 503 with its CORS headers (an answer without them would reach the page as an opaque network
error, and the client could not honour `Retry-After`). Every refusal counts in
`evolution_http_refused_total{reason}` (ops/metrics.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from evolution_py.ops import metrics

# Paths a monitor must reach even when the server is saturated.
NEVER_REFUSED = frozenset({"/health", "/health/ready", "/metrics"})
INTERVAL = 0.1  # seconds over which the fastest finished request is taken
BUSY = 16  # requests finished within an interval for its fastest to say anything


@dataclass
class Gate:
    """The counts every route's middleware shares (Litestar builds one middleware per route)."""

    max_inflight: int
    max_per_instance: int
    retry_after: int = 1
    max_wait: float = 0.0  # seconds; 0: no bound on the time
    inflight: int = 0
    per_instance: dict[str, int] = field(default_factory=dict)
    standing_queue: bool = False  # the last interval's fastest request took longer than max_wait
    _window_end: float = 0.0
    _window_fastest: float = float("inf")
    _window_count: int = 0

    def __post_init__(self) -> None:
        body = {
            "status": 503,
            "error": "Service Unavailable",
            "response": {"message": ["The server is busy; retry after the time in Retry-After"]},
        }
        self.body = msgspec.json.encode(body)
        self.headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode()),
            (b"retry-after", str(self.retry_after).encode()),
        ]

    @property
    def enabled(self) -> bool:
        return self.max_inflight > 0 or self.max_per_instance > 0 or self.max_wait > 0

    def finished(self, took: float, now: float) -> None:
        """A request finished after `took` seconds: the interval's fastest decides about the queue."""
        self._window_fastest = min(self._window_fastest, took)
        self._window_count += 1
        if now >= self._window_end:
            self.standing_queue = self._window_count >= BUSY and self._window_fastest > self.max_wait
            self._window_fastest = float("inf")
            self._window_count = 0
            self._window_end = now + INTERVAL

    def queue_standing(self, now: float) -> bool:
        if not self.standing_queue:
            return False
        if self.inflight == 0 or now > self._window_end + INTERVAL:
            # drained, or nothing finished for a whole interval: let requests in to measure again
            self.standing_queue = False
        return self.standing_queue


class Backpressure:
    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate = self.gate
        if str(scope["type"]) != "http" or scope["path"] in NEVER_REFUSED:
            await self.app(scope, receive, send)
            return
        params: dict[str, Any] = scope.get("path_params") or {}
        instance = params.get("instanceName")
        name = instance if isinstance(instance, str) else None
        if 0 < gate.max_inflight <= gate.inflight:
            await self._refuse(send, "server")
            return
        started = time.monotonic() if gate.max_wait > 0 else 0.0
        if started and gate.queue_standing(started):
            await self._refuse(send, "latency")
            return
        if name is not None and 0 < gate.max_per_instance <= gate.per_instance.get(name, 0):
            await self._refuse(send, "instance")
            return
        gate.inflight += 1
        if name is not None:
            gate.per_instance[name] = gate.per_instance.get(name, 0) + 1
        try:
            await self.app(scope, receive, send)
        finally:
            gate.inflight -= 1
            if started:
                now = time.monotonic()
                gate.finished(now - started, now)
            if name is not None:
                left = gate.per_instance[name] - 1
                if left:
                    gate.per_instance[name] = left
                else:
                    del gate.per_instance[name]

    async def _refuse(self, send: Send, reason: str) -> None:
        metrics.HTTP_REFUSED.inc(reason)
        start: Message = {"type": "http.response.start", "status": 503, "headers": self.gate.headers}
        body: Message = {"type": "http.response.body", "body": self.gate.body, "more_body": False}
        await send(start)
        await send(body)


def middleware(gate: Gate) -> list[DefineMiddleware]:
    """What `Litestar(middleware=...)` takes: nothing when both bounds are off."""
    return [DefineMiddleware(Backpressure, gate=gate)] if gate.enabled else []
