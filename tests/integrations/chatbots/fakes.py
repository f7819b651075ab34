"""Local fakes of the bot servers (aiohttp on 127.0.0.1): each records what we sent and answers as
the real service does; a test scripts the answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[["Call"], Awaitable[Any] | Any]


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class FakeServer:
    url: str
    calls: list[Call] = field(default_factory=list)
    routes: dict[str, Handler] = field(default_factory=dict)  # path -> handler answering a JSON value
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def on(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    async def wait_calls(self, path: str, count: int, within: float = 15.0) -> list[Call]:
        async with asyncio.timeout(within):
            while len(self.to(path)) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.to(path)


@asynccontextmanager
async def fake_server() -> AsyncIterator[FakeServer]:
    server = FakeServer(url="")

    async def any_request(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        try:
            payload = await request.json() if body else None
        except ValueError:
            payload = body.decode(errors="replace")
        call = Call(request.method, request.path, dict(request.headers), payload)
        server.calls.append(call)
        server.arrived.set()
        handler = server.routes.get(request.path)
        if handler is None:
            return web.json_response({"error": "no such route in the fake"}, status=404)
        answer = handler(call)
        if asyncio.iscoroutine(answer):
            answer = await answer
        if isinstance(answer, web.StreamResponse):
            return answer
        return web.json_response(answer)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", any_request)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()
