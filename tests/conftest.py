from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from tests.support.databases import database_env
from tests.support.server import RunningServer, running_server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


ServerFactory = Callable[..., AbstractAsyncContextManager[RunningServer]]


@pytest.fixture
def make_server(tmp_path: Path, db_kind: str) -> ServerFactory:
    """`async with make_server(ENV=...) as srv:` — a fresh server on a fresh database; call it again
    with the same data dir and database to restart."""
    state: dict[str, dict[str, str]] = {}

    @asynccontextmanager
    async def factory(**env: str) -> AsyncIterator[RunningServer]:
        if "db" not in state:
            raise RuntimeError("use the `server_factory` fixture")
        async with running_server(tmp_path, {**state["db"], **env}) as srv:
            yield srv

    factory.state = state  # type: ignore[attr-defined]
    return factory


@pytest.fixture
async def server_factory(tmp_path: Path, db_kind: str, make_server: ServerFactory) -> AsyncIterator[ServerFactory]:
    async with database_env(db_kind, tmp_path) as db_env:
        make_server.state["db"] = db_env  # type: ignore[attr-defined]
        yield make_server


@pytest.fixture
async def server(server_factory: ServerFactory) -> AsyncIterator[RunningServer]:
    async with server_factory() as srv:
        yield srv
