"""A real server whose WHATSAPP-BAILEYS instances run the scripted test channel."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.databases import database_env
from tests.support.scripted_channel import ScriptedChannel, scripted_factories
from tests.support.server import RunningServer, running_server, unique


@dataclass
class GoServer:
    srv: RunningServer

    @property
    def client(self) -> httpx.AsyncClient:
        return self.srv.client

    @property
    def admin(self) -> dict[str, str]:
        return {"apikey": self.srv.api_key}

    def channel(self, name: str) -> ScriptedChannel:
        runtime = self.srv.services.registry.get(name)
        assert runtime is not None, name
        channel = runtime.channel
        assert isinstance(channel, ScriptedChannel)
        return channel

    async def create(self, name: str | None = None, **fields: Any) -> dict[str, Any]:
        """Create through the Go dialect; returns `data` plus the token used."""
        body = {"name": name or unique(), "token": f"tok-{uuid.uuid4().hex}", **fields}
        response = await self.client.post("/instance/create", json=body, headers=self.admin)
        assert response.status_code == 200, response.text
        return {**response.json()["data"], "token": body["token"]}


@pytest.fixture
async def go(tmp_path: Path, db_kind: str) -> AsyncIterator[GoServer]:
    async with (
        database_env(db_kind, tmp_path) as db_env,
        running_server(tmp_path, db_env, factories=scripted_factories()) as srv,
    ):
        yield GoServer(srv)
