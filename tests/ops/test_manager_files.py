"""`/manager` is served by the server from the package, linked from `GET /` as upstream's `manager`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.server import RunningServer


async def test_manager_page_and_files_are_served(server: RunningServer) -> None:
    root = (await server.client.get("/")).json()
    assert list(root)[:6] == ["status", "message", "version", "clientName", "manager", "documentation"]
    assert root["manager"] == f"{server.base_url}/manager"
    page = await server.client.get("/manager")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset, kind in (("manager.js", "text/javascript"), ("manager.css", "text/css")):
        assert f"/manager/{asset}" in page.text
        answer = await server.client.get(f"/manager/{asset}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
    assert "http" not in page.text.replace("http-equiv", "")  # nothing loaded from elsewhere
    deep = await server.client.get("/manager/instance")  # a deep link gets the page
    assert deep.status_code == 200 and deep.text == page.text
    for sneaky in ("/manager/..%2F..%2Fconfig.py", "/manager/%2e%2e/app.py"):
        assert "import" not in (await server.client.get(sneaky)).text


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_server_disable_manager_removes_page_and_link(server_factory: Any) -> None:
    async with server_factory(SERVER_DISABLE_MANAGER="true") as srv:
        assert "manager" not in (await srv.client.get("/")).json()
        assert (await srv.client.get("/manager")).status_code == 404
