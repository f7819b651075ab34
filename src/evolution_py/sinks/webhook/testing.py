"""Test helper of the webhook sink: a real local HTTP receiver that records every POST and answers what
the test says (`async with Receiver() as receiver: ... receiver.url ...`)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from evolution_py.sinks.testing import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    at: float

    @property
    def body(self) -> Any:
        return json.loads(self.raw)

    @property
    def event_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    requests: list[Received] = field(default_factory=list)  # the ones answered 2xx
    attempts: list[tuple[int, Received]] = field(default_factory=list)  # every request, with our answer
    # Status to answer (by default 200); a callable gets the request count so far.
    status: int | Callable[[int], int] = 200
    delay: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        status = self.status(len(self.requests)) if callable(self.status) else self.status
        received = Received(request.path, dict(request.headers), raw, time.time())
        self.attempts.append((status, received))
        if 200 <= status < 300:
            self.requests.append(received)
        return web.Response(status=status, text="ok" if status < 400 else "nope")

    async def start(self) -> Receiver:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Receiver:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def events(self, name: str | None = None) -> list[Received]:
        return [r for r in self.requests if name is None or r.body.get("event") == name]

    async def wait_for(self, predicate: Callable[[Receiver], bool], within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not predicate(self):
            if time.monotonic() > deadline:
                got = [(r.path, r.body.get("event")) for r in self.requests]
                raise AssertionError(f"receiver: condition not met in {within}s; got {len(got)}: {got[:20]}")
            await asyncio.sleep(0.02)
