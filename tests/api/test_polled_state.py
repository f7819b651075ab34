"""connectionState answered in front of Litestar (api/polled_state.py): the same bytes as Litestar's
answer when it answers, and every other request left to Litestar untouched."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from evolution_py.api.polled_state import PREFIX_TEMPLATE, SUFFIX_TEMPLATE, PolledState, polled_name
from evolution_py.ops import metrics
from tests.support.server import RunningServer, unique

SQLITE = pytest.mark.parametrize("db_kind", ["sqlite"])


class _Recorder:
    """The app behind PolledState: notes that a request reached it, answers 599."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 599, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _litestar(server: RunningServer) -> httpx.ASGITransport:
    """The served server's Litestar app, called directly (already started by the served app)."""
    app: Any = server.services.app  # Litestar's scope types are narrower than httpx's ASGI alias
    assert app is not None
    return httpx.ASGITransport(app=app)


async def _call(app: PolledState, path: str, headers: dict[str, str], method: str = "GET") -> list[dict[str, Any]]:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *((k.lower().encode(), v.encode()) for k, v in headers.items())],
        "query_string": b"",
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def test_polled_name_takes_only_what_litestar_would_route_there() -> None:
    assert polled_name("/instance/connectionState/a b") == ("a b", PREFIX_TEMPLATE)
    assert polled_name("/shop-1/instance/connectionState") == ("shop-1", SUFFIX_TEMPLATE)
    for path in (
        "/instance/connectionState/",
        "/instance/connectionState/a/",
        "/instance/connectionState/a/b",
        "/instance/connectionState//a",
        "//instance/connectionState",
        "/a/b/instance/connectionState",
        "/instance/connectionStates/a",
        "/instance/connect/a",
    ):
        assert polled_name(path) is None, path


@SQLITE
async def test_answers_are_litestars_bytes_and_are_counted(server: RunningServer) -> None:
    evo, web = unique("ps-evo"), unique("ps-web")
    evo_token = f"tok-{evo}-0123456789"
    web_token = f"tok-{web}-0123456789"
    await server.create_instance(evo, token=evo_token)
    await server.create_instance(web, integration="WHATSAPP-BAILEYS", token=web_token, qrcode=False)
    litestar = httpx.AsyncClient(transport=_litestar(server), base_url="http://127.0.0.1")
    recorder = _Recorder()
    polled = PolledState(recorder, server.services)
    async with litestar:
        for name, token in ((evo, evo_token), (web, web_token)):
            for key in (token, server.api_key):
                for path, template in (
                    (f"/instance/connectionState/{name}", PREFIX_TEMPLATE),
                    (f"/{name}/instance/connectionState", SUFFIX_TEMPLATE),
                ):
                    expected = await litestar.get(path, headers={"apikey": key})
                    assert expected.status_code == 200, expected.text
                    sent = await _call(polled, path, {"ApiKey": key})
                    assert recorder.paths == [], "answered in front of Litestar"
                    assert sent[0]["status"] == 200
                    assert dict(sent[0]["headers"]) == {
                        b"content-type": expected.headers["content-type"].encode(),
                        b"content-length": expected.headers["content-length"].encode(),
                    }
                    assert sent[1]["body"] == expected.content
                    # through the served app: the same answer, counted under Litestar's template
                    before = metrics.HTTP_REQUESTS.counts.get(("GET", template, "200"), 0)
                    served = await server.client.get(path, headers={"apikey": key})
                    assert (served.status_code, served.content) == (200, expected.content)
                    assert served.headers["content-type"] == expected.headers["content-type"]
                    assert metrics.HTTP_REQUESTS.counts[("GET", template, "200")] == before + 1
    states = {
        name: (await server.client.get(f"/instance/connectionState/{name}", headers=server.headers())).json()
        for name in (evo, web)
    }
    assert states[evo]["instance"]["state"] != states[web]["instance"]["state"]  # two channels, two states


@SQLITE
async def test_everything_else_is_left_to_litestar(server: RunningServer) -> None:
    a, b = unique("ps-a"), unique("ps-b")
    token_a = f"tok-{a}-0123456789"
    await server.create_instance(a, token=token_a)
    await server.create_instance(b, token=f"tok-{b}-0123456789")
    state_a = f"/instance/connectionState/{a}"
    cases: list[tuple[str, dict[str, str], str, int]] = [
        (f"/instance/connectionState/{b}", {"apikey": token_a}, "GET", 401),  # another instance's token
        (state_a, {"apikey": "wrong-key-0123456789"}, "GET", 401),
        (state_a, {}, "GET", 401),
        (state_a, {"apikey": ""}, "GET", 401),
        ("/instance/connectionState/nobody-here", {"apikey": server.api_key}, "GET", 404),
        (state_a, {"apikey": token_a, "Origin": "https://app.example"}, "GET", 200),  # CORS headers added
        (state_a + "/", {"apikey": token_a}, "GET", 200),
        (state_a, {"apikey": token_a}, "HEAD", 404),  # Litestar's answer to HEAD on a GET route
    ]
    recorder = _Recorder()
    polled = PolledState(recorder, server.services)
    async with httpx.AsyncClient(transport=_litestar(server), base_url="http://127.0.0.1") as litestar:
        for path, headers, method, status in cases:
            recorder.paths.clear()
            sent = await _call(polled, path, headers, method)
            assert recorder.paths == [path] and sent[0]["status"] == 599, (path, headers, method)
            served = await server.client.request(method, path, headers=headers)
            expected = await litestar.request(method, path, headers=headers)
            assert (served.status_code, served.content) == (expected.status_code, expected.content)
            assert served.status_code == status, (path, headers, method, served.text)
            if "Origin" in headers:
                assert served.headers["access-control-allow-origin"] == "*"
    # The first apikey header counts, as in the guard: an empty first one is refused.
    recorder.paths.clear()
    scope_headers = [(b"host", b"127.0.0.1"), (b"apikey", b""), (b"apikey", token_a.encode())]
    sent = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": state_a, "root_path": "", "headers": scope_headers}
    await polled(scope, receive, send)
    assert recorder.paths == [state_a]
    # A Host header Litestar refuses is refused by Litestar.
    recorder.paths.clear()
    scope = {**scope, "headers": [(b"host", b"bad host\x00"), (b"apikey", token_a.encode())]}
    await polled(scope, receive, send)
    assert recorder.paths == [state_a]
    # Under a root path Litestar rewrites the path: left to it.
    recorder.paths.clear()
    scope = {**scope, "root_path": "/api", "headers": [(b"apikey", token_a.encode())]}
    await polled(scope, receive, send)
    assert recorder.paths == [state_a]
