"""No answer shows the server's insides (issue 10, item 9), on SQLite and PostgreSQL.

A NUL in an instance name, JSON nested 100k deep, paging numbers beyond 64 bits: each is a 400 in
upstream's envelope with a message saying what is wrong, never SQL, a driver's text or a stack. A
failure nobody foresaw answers 500 with a request id only; the log has the detail under that id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest

from tests.support.server import RunningServer, unique

LEAKS = ("SELECT", "INSERT", "[SQL", "sqlalchemy", "asyncpg", "sqlite", "Traceback", "recursion", "parameters")


def assert_clean(response: httpx.Response) -> None:
    for word in LEAKS:
        assert word.lower() not in response.text.lower(), (word, response.text[:500])


def bad_request(*messages: str) -> dict[str, Any]:
    return {"status": 400, "error": "Bad Request", "response": {"message": list(messages)}}


async def test_nul_in_an_instance_name_never_reaches_the_database(server: RunningServer) -> None:
    srv, name = server, unique()
    await srv.create_instance(name)
    for headers in ({}, srv.headers()):
        for path in ("/instance/connectionState/a%00b", "/chat/findMessages/a%00b"):
            method = "GET" if "connectionState" in path else "POST"
            response = await srv.client.request(method, path, headers=headers, json={})
            assert response.status_code == 404, response.text
            assert response.json() == {
                "status": 404,
                "error": "Not Found",
                "response": {"message": ['The "a\x00b" instance does not exist']},
            }

    # In a create body the name rule refuses it on both databases, before anything is stored.
    created = await srv.client.post(
        "/instance/create", json={"instanceName": "x\x00y", "integration": "EVOLUTION"}, headers=srv.headers()
    )
    assert_clean(created)
    refused = "instanceName cannot contain control characters (NUL, CR, LF, ...) or be '.' or '..'"
    assert (created.status_code, created.json()) == (400, bad_request(refused))
    fetched = await srv.client.get("/instance/fetchInstances", headers=srv.headers())
    assert [i["name"] for i in fetched.json()] == [name]
    # In other text: PostgreSQL cannot hold a NUL in text; the answer says so.
    where = {"key": {"remoteJid": "a\x00@s.whatsapp.net"}}
    lookup = await srv.client.post(f"/chat/findMessages/{name}", json={"where": where}, headers=srv.headers())
    assert_clean(lookup)
    if srv.env["DATABASE_PROVIDER"] == "postgresql":
        nul = "The request contains text with a NUL character (\\u0000), which cannot be stored"
        assert (lookup.status_code, lookup.json()) == (400, bad_request(nul))
    else:  # SQLite takes the NUL in a query
        assert lookup.status_code == 200, lookup.text


@pytest.mark.parametrize("opener", [b"[", b'{"where":', b'{"a":['])
async def test_json_nested_too_deeply_is_a_400(server: RunningServer, opener: bytes) -> None:
    srv, name = server, unique()
    await srv.create_instance(name)
    body = opener * 100_000
    headers = {**srv.headers(), "content-type": "application/json"}
    for path in (
        f"/chat/findMessages/{name}",  # decoded by Litestar into a struct
        f"/message/sendText/{name}",  # decoded by our own reader, then validated
        "/instance/create",
        f"/webhook/set/{name}",
    ):
        response = await srv.client.post(path, content=body, headers=headers)
        assert (response.status_code, response.json()) == (400, bad_request("JSON is nested too deeply")), path
    # Deep but sane nesting still works.
    where = {"key": {"remoteJid": "5511999999999@s.whatsapp.net"}}
    ok = await srv.client.post(f"/chat/findMessages/{name}", json={"where": where}, headers=srv.headers())
    assert ok.status_code == 200, ok.text


async def test_paging_numbers_beyond_any_table_are_a_400(server: RunningServer) -> None:
    srv, name = server, unique()
    await srv.create_instance(name)
    huge = 10**30
    cases: list[tuple[str, str, dict[str, Any] | None, str]] = [
        ("POST", f"/chat/findMessages/{name}", {"page": huge}, "page must be at most 2147483647"),
        ("POST", f"/chat/findMessages/{name}", {"page": 2**62, "offset": 1000}, "page must be at most 2147483647"),
        ("POST", f"/chat/findMessages/{name}", {"offset": huge}, "offset must be at most 2147483647"),
        ("POST", f"/chat/findContacts/{name}", {"page": 2**62, "offset": 10}, "page must be at most 2147483647"),
        ("POST", f"/chat/findContacts/{name}", {"offset": 2**63}, "offset must be at most 2147483647"),
        ("POST", f"/chat/findStatusMessage/{name}", {"page": 2**62}, "page must be at most 2147483647"),
        ("POST", f"/chat/findChats/{name}", {"take": 2**63}, "take and skip must be at most 2147483647"),
        ("POST", f"/chat/findChats/{name}", {"skip": 2**62}, "take and skip must be at most 2147483647"),
        ("GET", f"/events/dead?offset={huge}", None, "offset must be between 0 and 2147483647"),
        ("GET", f"/events/dead?offset={2**63}", None, "offset must be between 0 and 2147483647"),
        ("GET", f"/events/dead/{name}?offset={2**63}", None, "offset must be between 0 and 2147483647"),
    ]
    for method, path, body, message in cases:
        response = await srv.client.request(method, path, json=body, headers=srv.headers())
        assert (response.status_code, response.json()) == (400, bad_request(message)), (path, body)
    # A number the database cannot compare, wherever it hides: the database layer's backstop.
    out_of_range = bad_request("A number in the request is out of range")
    for stamp in (10**30, 2**63):
        where = {"messageTimestamp": {"gte": stamp}}
        for route in ("findMessages", "findChats"):
            response = await srv.client.post(f"/chat/{route}/{name}", json={"where": where}, headers=srv.headers())
            assert (response.status_code, response.json()) == (400, out_of_range), (route, stamp)
    # A float where an integer belongs was already a 400; still is.
    for method, path, body in (
        ("POST", f"/chat/findMessages/{name}", {"offset": 1e30}),
        ("GET", "/events/dead?offset=1e30", None),
    ):
        response = await srv.client.request(method, path, json=body, headers=srv.headers())
        assert response.status_code == 400, response.text
        assert_clean(response)
    # The largest page allowed is just an empty page.
    last = await srv.client.post(
        f"/chat/findMessages/{name}", json={"page": 2**31 - 1, "offset": 1000}, headers=srv.headers()
    )
    assert last.status_code == 200, last.text
    assert last.json()["messages"]["records"] == []


async def test_an_unforeseen_failure_answers_only_a_request_id(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    srv = server

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError('SELECT "token" FROM "Instance" -- secret detail')

    monkeypatch.setattr(srv.services.report, "fetch", broken)
    with caplog.at_level(logging.ERROR, logger="evolution_py.api.errors"):
        response = await srv.client.get("/instance/fetchInstances", headers=srv.headers())
    assert response.status_code == 500
    body = response.json()
    [message] = body["response"]["message"]
    match = re.fullmatch(r"Internal error; request id ([0-9a-f]{16})", message)
    assert match, message
    assert body == {"status": 500, "error": "Internal Server Error", "response": {"message": [message]}}
    assert response.headers["x-request-id"] == match.group(1)
    assert "secret" not in response.text and "SELECT" not in response.text
    # The log has the detail, findable by the id.
    [record] = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.exc_info is not None and "secret detail" in str(record.exc_info[1])
