"""The request-side shortcuts of issue 18 keep behaviour: CORS still answers requests with an Origin
(and preflights), requests without one get no CORS headers; `apikey` is read in any case; guarded
routes still refuse a wrong key and an instance token on another instance."""

from __future__ import annotations

import pytest

from tests.support.server import RunningServer, unique

pytestmark = pytest.mark.parametrize("db_kind", ["sqlite"])


async def test_cors_only_with_an_origin_and_preflights_answered(server: RunningServer) -> None:
    name = unique("cors")
    await server.create_instance(name)
    path = f"/instance/connectionState/{name}"
    plain = await server.client.get(path, headers=server.headers())
    assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers
    browser = await server.client.get(path, headers={**server.headers(), "Origin": "https://app.example"})
    assert browser.status_code == 200
    assert browser.headers["access-control-allow-origin"] == "*"
    preflight = await server.client.options(
        path,
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "apikey",
        },
    )
    assert preflight.status_code in (200, 204), preflight.text
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]


async def test_guard_reads_apikey_in_any_case_and_still_refuses(server: RunningServer) -> None:
    a, b = unique("ga"), unique("gb")
    token_a = (await server.create_instance(a, token=f"tok-{a}-0123456789"))["hash"]
    await server.create_instance(b, token=f"tok-{b}-0123456789")
    own = await server.client.get(f"/instance/connectionState/{a}", headers={"ApiKey": token_a})
    assert own.status_code == 200 and own.json()["instance"]["instanceName"] == a
    other = await server.client.get(f"/instance/connectionState/{b}", headers={"apikey": token_a})
    assert other.status_code == 401
    missing = await server.client.get(f"/instance/connectionState/{a}")
    assert missing.status_code == 401
    unknown = await server.client.get("/instance/connectionState/nobody-here", headers=server.headers())
    assert unknown.status_code == 404
    send = await server.client.post(
        f"/message/sendText/{b}", json={"number": "5511", "text": "x"}, headers={"APIKEY": token_a}
    )
    assert send.status_code == 401
