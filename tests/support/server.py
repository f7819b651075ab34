"""A real evolution-py server on a loopback port, in the test's event loop, with a real httpx client."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from evolution_py.app import build_asgi, build_services
from evolution_py.config import load_settings
from evolution_py.services import Services

TEST_API_KEY = "test-global-key-0123456789"


def unique(prefix: str = "t") -> str:
    """A name no other test (or concurrent test run) uses: instances, tokens, ..."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    base_url: str
    api_key: str
    services: Services
    client: httpx.AsyncClient
    env: dict[str, str]

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"apikey": self.api_key if key is None else key}

    async def create_instance(self, name: str, integration: str = "EVOLUTION", **fields: Any) -> dict[str, Any]:
        body = {"instanceName": name, "integration": integration, **fields}
        response = await self.client.post("/instance/create", json=body, headers=self.headers())
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


@asynccontextmanager
async def running_server(
    data_dir: Path,
    env: dict[str, str],
    factories: dict[str, Any] | None = None,
    configure: Callable[[Services], None] | None = None,
) -> AsyncIterator[RunningServer]:
    """`factories` adds or replaces channel factories by integration (e.g. a scripted test channel);
    `configure` may add to the services before the app is built (e.g. an integration on the bus)."""
    port = free_port()
    full_env = {
        "AUTHENTICATION_API_KEY": TEST_API_KEY,
        "SERVER_PORT": str(port),
        "SERVER_URL": f"http://127.0.0.1:{port}",
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARN",
        **env,
    }
    settings = load_settings(environ=full_env)
    services = build_services(settings)
    if factories:
        for integration, factory in factories.items():
            services.kinds.set_factory(integration, factory)
    if configure is not None:
        configure(services)
    app = build_asgi(settings, services)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    base_url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        try:
            yield RunningServer(base_url=base_url, api_key=TEST_API_KEY, services=services, client=client, env=full_env)
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, timeout=30)
