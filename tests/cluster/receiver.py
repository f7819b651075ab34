"""A webhook receiver on a loopback port that records the message ids of `messages.upsert`."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from aiohttp import web

from tests.support.server import free_port


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.ids: set[str] = set()
        self.duplicates = 0
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        body: Any = await request.json()
        if body.get("event") == "messages.upsert":
            message_id = body["data"]["key"]["id"]
            if message_id in self.ids:
                self.duplicates += 1
            self.ids.add(message_id)
        return web.json_response({"ok": True})

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        app.router.add_post("/hook/{tail:.*}", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
