"""The Go dialect shows no insides either (issue 10, item 9): 400 `{"error": ...}` for what the
request got wrong, `{"error": "Internal error; request id <id>"}` for the rest."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from tests.api.go.conftest import GoServer
from tests.support.server import unique


async def test_nested_json_and_nul_names_are_a_400(go: GoServer) -> None:
    inst = await go.create()
    deep = b"[" * 100_000
    routes = ((f"/instance/forcereconnect/{inst['id']}", go.admin["apikey"]), ("/instance/connect", inst["token"]))
    for path, key in routes:
        response = await go.client.post(path, content=deep, headers={"apikey": key, "content-type": "application/json"})
        assert (response.status_code, response.json()) == (400, {"error": "JSON is nested too deeply"}), path

    missing = await go.client.get("/instance/info/a%00b", headers=go.admin)
    assert (missing.status_code, missing.json()) == (404, {"error": "instance not found"})

    created = await go.client.post("/instance/create", json={"name": "a\x00b", "token": unique()}, headers=go.admin)
    assert "SELECT" not in created.text and "asyncpg" not in created.text, created.text
    refused = "name cannot contain control characters (NUL, CR, LF, ...) or be '.' or '..'"
    assert (created.status_code, created.json()) == (400, {"error": refused})


async def test_an_unforeseen_failure_answers_only_a_request_id(
    go: GoServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    inst = await go.create()

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("password=hunter2 in a driver message")

    monkeypatch.setattr(go.srv.services.logbook, "read", broken)
    with caplog.at_level(logging.ERROR, logger="evolution_py.api.errors"):
        response = await go.client.get(f"/instance/logs/{inst['id']}", headers=go.admin)
    assert response.status_code == 500
    match = re.fullmatch(r"Internal error; request id ([0-9a-f]{16})", response.json()["error"])
    assert match, response.text
    assert response.json() == {"error": match.group(0)}
    assert response.headers["x-request-id"] == match.group(1)
    [record] = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])
