"""Issue 10 item 3, end to end: a tenant's webhook at a "public" receiver that redirects into the
private network is refused on the redirect's hop with WEBHOOK_BLOCK_PRIVATE_NETWORKS=true, and nothing
the private service answers is ever readable through `/events/dead`, guard on or off.

Every test server listens on loopback, so 127.0.0.1 stands for the public internet here and 127.0.0.2
for the server's own network: `is_internal` is narrowed to the latter in the guard and the client.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from evolution_py.outbound import addresses
from evolution_py.outbound import client as client_module
from evolution_py.sinks.testing import free_port
from evolution_py.sinks.webhook import guard
from evolution_py.sinks.webhook.testing import Receiver
from tests.support.server import RunningServer, unique

SECRET = "metadata-token-7f3a9c"


@pytest.fixture
def only_127_0_0_2_is_internal(monkeypatch: pytest.MonkeyPatch) -> None:
    def is_internal(ip: addresses.IpAddress) -> bool:
        return str(ip) == "127.0.0.2"

    monkeypatch.setattr(client_module, "is_internal", is_internal)
    monkeypatch.setattr(guard, "is_internal", is_internal)


@asynccontextmanager
async def private_service() -> AsyncIterator[tuple[str, list[str]]]:
    """An internal service on 127.0.0.2 that answers a secret in its body and its reason phrase."""
    hits: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        hits.append(request.method)
        return web.Response(status=500, reason=f"Broken {SECRET}", text=f"{{'token': '{SECRET}'}}")

    runner = web.AppRunner(web.Application(), access_log=None)
    runner.app.router.add_route("*", "/{tail:.*}", answer)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.2", port).start()
    try:
        yield f"http://127.0.0.2:{port}/latest/meta-data", hits
    finally:
        await runner.cleanup()


@asynccontextmanager
async def redirector(to: str) -> AsyncIterator[str]:
    """The "public" receiver: every POST is redirected (307 keeps the method and body) to `to`."""

    async def redirect(_request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(to)

    runner = web.AppRunner(web.Application(), access_log=None)
    runner.app.router.add_route("*", "/{tail:.*}", redirect)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


async def dead_letters(srv: RunningServer, name: str, key: str) -> tuple[str, list[dict[str, Any]]]:
    """The tenant's `/events/dead` answer, raw text and records, once something is dead-lettered."""
    for _ in range(200):
        response = await srv.client.get(f"/events/dead/{name}", headers=srv.headers(key))
        assert response.status_code == 200, response.text
        if response.json()["total"]:
            return response.text, response.json()["records"]
        await asyncio.sleep(0.05)
    raise AssertionError("nothing dead-lettered")


@pytest.mark.usefixtures("only_127_0_0_2_is_internal")
async def test_a_redirect_into_the_private_network_is_refused_and_nothing_leaks(server_factory: Any) -> None:
    async with private_service() as (private_url, hits), redirector(private_url) as public_url:
        async with server_factory(WEBHOOK_BLOCK_PRIVATE_NETWORKS="true") as srv:
            name = unique()
            # The private address itself is refused when it is set.
            refused = await srv.client.post(
                "/instance/create",
                json={"instanceName": name, "integration": "EVOLUTION", "webhook": {"url": private_url}},
                headers=srv.headers(),
            )
            assert refused.status_code == 400 and "WEBHOOK_BLOCK_PRIVATE_NETWORKS" in refused.text
            # The public one is accepted; its redirect is refused at delivery, before any connect.
            created = await srv.create_instance(name, webhook={"url": public_url, "events": ["INSTANCE_CREATE"]})
            text, records = await dead_letters(srv, name, created["hash"])
            (record,) = records
            assert record["attempts"] == 1  # refused for good: not retried
            assert "127.0.0.2" in record["lastError"] and "WEBHOOK_BLOCK_PRIVATE_NETWORKS" in record["lastError"]
            assert hits == []
            assert SECRET not in text


async def test_without_the_guard_the_redirect_is_followed_but_the_answer_is_never_shown(
    server_factory: Any,
) -> None:
    """Upstream's default (internal receivers such as n8n keep working): the private service is
    reached, and `lastError` still says only its status."""
    async with private_service() as (private_url, hits), redirector(private_url) as public_url:
        async with server_factory(WEBHOOK_RETRY_MAX_ATTEMPTS="1") as srv:
            name = unique()
            created = await srv.create_instance(name, webhook={"url": public_url, "events": ["INSTANCE_CREATE"]})
            text, records = await dead_letters(srv, name, created["hash"])
            assert hits == ["POST"]
            assert records[0]["lastError"] == "HTTP 500 Internal Server Error"
            assert SECRET not in text and SECRET not in json.dumps(records)
            everything = await srv.client.get("/events/dead", headers=srv.headers())
            assert SECRET not in everything.text


async def test_url_credentials_win_over_an_authorization_header(server: RunningServer) -> None:
    """axios (upstream's client) sends a URL's `user:pass@` as Basic auth and drops an `Authorization`
    header given beside it; aiohttp alone refuses the pair, which once dead-lettered every event."""
    async with Receiver() as receiver:
        name = unique()
        url = receiver.url.replace("http://", "http://hook:s3cret@") + "/in"
        webhook = {"url": url, "events": ["INSTANCE_CREATE"], "headers": {"Authorization": "Bearer other"}}
        await server.create_instance(name, webhook=webhook)
        await receiver.wait_for(lambda r: len(r.requests) == 1)
        sent = receiver.requests[0].headers["Authorization"]
        assert sent == "Basic " + base64.b64encode(b"hook:s3cret").decode()


async def test_start_up_warns_once_when_the_guard_is_off_and_tenants_have_tokens(
    server_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if "WEBHOOK_BLOCK_PRIVATE_NETWORKS is off" in r.getMessage()]

    async with server_factory() as srv:
        assert warnings() == []  # no instance, no tenant
        await srv.create_instance(unique())
    caplog.clear()
    async with server_factory():
        assert len(warnings()) == 1
    caplog.clear()
    async with server_factory(WEBHOOK_BLOCK_PRIVATE_NETWORKS="true"):
        assert warnings() == []
