from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from tests.support.databases import DATABASE_KINDS, database_env
from tests.support.server import RunningServer, running_server

# Database tests run on MariaDB only here (durability, bad input, storage, dead letters, the Go
# dialect's log): each MariaDB server start migrates 18 tables of DDL, and the rest of the suite
# exercises no MySQL-specific path. TEST_MARIADB=all runs every database test on MariaDB too.
MARIADB_SUBSET = (
    "tests/e2e/",
    "tests/sinks/webhook/",
    "tests/api/test_instance.py",
    "tests/api/test_internal_errors.py",
    "tests/api/test_chat_ops_routes.py",
    "tests/api/test_messaging_service.py",
    "tests/api/go/test_logs.py",
    "tests/unit/",
    "tests/store/",
    "tests/api/test_cloud_api_migration.py",
)


@pytest.fixture(params=DATABASE_KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TEST_MARIADB") == "all":
        return
    root = Path(str(config.rootpath))
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_mariadb = callspec is not None and callspec.params.get("db_kind") == "mariadb"
        path = Path(str(item.path)).relative_to(root).as_posix()
        (drop if on_mariadb and not path.startswith(MARIADB_SUBSET) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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
