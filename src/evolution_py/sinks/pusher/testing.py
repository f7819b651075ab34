"""Test helper of the Pusher sink: a local fake of Pusher's REST API (`POST /apps/<id>/events`) that
checks each call the way Pusher does (auth_key, a fresh auth_timestamp, body_md5, auth_signature) and
keeps the triggers it accepted."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web


@dataclass
class FakePusher:
    apps: dict[str, tuple[str, str]]  # app id → (key, secret)
    port: int = 0
    triggers: list[dict[str, Any]] = field(default_factory=list)  # {"app_id", "name", "channels", "data"}
    refused: list[str] = field(default_factory=list)  # why calls were refused
    fail_with: int | None = None  # answer every call with this status (a Pusher outage)

    def of(self, app_id: str, channel: str) -> list[dict[str, Any]]:
        return [t for t in self.triggers if t["app_id"] == app_id and channel in t["channels"]]

    async def handle(self, request: web.Request) -> web.Response:
        if self.fail_with is not None:
            return web.Response(status=self.fail_with, text="unavailable")
        app_id = request.match_info["app_id"]
        body = await request.read()
        query = request.rel_url.query
        if app_id not in self.apps:
            return self._refuse(404, f"unknown app {app_id}")
        key, secret = self.apps[app_id]
        if query.get("auth_key") != key:
            return self._refuse(401, "wrong auth_key")
        if query.get("auth_version") != "1.0":
            return self._refuse(401, "wrong auth_version")
        if abs(int(query.get("auth_timestamp", "0")) - time.time()) > 600:
            return self._refuse(401, "stale auth_timestamp")
        if query.get("body_md5") != hashlib.md5(body, usedforsecurity=False).hexdigest():
            return self._refuse(401, "body_md5 does not match the body")
        signed = "&".join(f"{name}={query[name]}" for name in sorted(query) if name != "auth_signature")
        expected = hmac.new(secret.encode(), f"POST\n{request.path}\n{signed}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(query.get("auth_signature", ""), expected):
            return self._refuse(401, "invalid signature")
        trigger = msgspec.json.decode(body)
        if not isinstance(trigger.get("data"), str):
            return self._refuse(400, "data must be a string")
        self.triggers.append({"app_id": app_id, **trigger, "data": msgspec.json.decode(trigger["data"])})
        return web.json_response({})

    def _refuse(self, status: int, why: str) -> web.Response:
        self.refused.append(why)
        return web.Response(status=status, text=why)


@asynccontextmanager
async def fake_pusher(apps: dict[str, tuple[str, str]]) -> AsyncIterator[FakePusher]:
    fake = FakePusher(apps)
    app = web.Application()
    app.router.add_post("/apps/{app_id}/events", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield fake
    finally:
        await runner.cleanup()
