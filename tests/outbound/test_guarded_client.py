"""The guarded client against real local servers: bounded answers, one time limit, and with
WEBHOOK_BLOCK_PRIVATE_NETWORKS every hop checked, redirects and the connected address included."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from evolution_py.outbound import OutboundClient, OutboundError, http1, status_reason
from evolution_py.outbound import client as client_module


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def receiver() -> web.Application:
    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"got": (await request.json()) if request.can_read_body else None})

    async def secret(_request: web.Request) -> web.Response:
        return web.Response(status=500, reason="hunter2 in the status line", text="internal secret: hunter2")

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        chunk = b"x" * 65536
        for _ in range(2000):  # 128 MiB if it were read whole
            await response.write(chunk)
        return response

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    app = web.Application()
    app.router.add_route("*", "/ok", ok)
    app.router.add_get("/secret", secret)
    app.router.add_get("/huge", huge)
    app.router.add_get("/slow", slow)
    app.router.add_route("*", "/redirect", redirect)
    return app


async def test_an_answer_is_read_up_to_its_limit_and_cut() -> None:
    client = OutboundClient(block_private_networks=False, user_agent="test")
    async with serve(receiver()) as base:
        answer = await client.request("GET", f"{base}/huge", max_bytes=10_000)
        assert answer.status == 200 and len(answer.body) == 10_000 and answer.truncated
        with pytest.raises(OutboundError):
            answer.json()
        posted = await client.request("POST", f"{base}/ok", json={"a": 1})
        assert posted.ok and posted.json() == {"got": {"a": 1}}
    await client.close()


async def test_a_failure_never_quotes_the_answer_body() -> None:
    client = OutboundClient(block_private_networks=False, user_agent="test")
    async with serve(receiver()) as base:
        answer = await client.request("GET", f"{base}/secret")
        # The standard phrase, not the receiver's own reason phrase nor its body.
        assert answer.failure() == "HTTP 500 Internal Server Error"
        assert answer.failure() == status_reason(500) and status_reason(799) == "HTTP 799"
    await client.close()


async def test_one_time_limit_for_the_whole_exchange() -> None:
    client = OutboundClient(block_private_networks=False, user_agent="test")
    async with serve(receiver()) as base:
        with pytest.raises(OutboundError, match="no answer"):
            await client.request("GET", f"{base}/slow", time_limit=0.3)
    await client.close()


async def test_redirects_are_followed_when_allowed() -> None:
    client = OutboundClient(block_private_networks=False, user_agent="test")
    async with serve(receiver()) as base:
        answer = await client.request("POST", f"{base}/redirect?to={base}/ok", json={"a": 1})
        assert answer.ok and answer.url == f"{base}/ok"
    await client.close()


async def test_private_addresses_are_refused_on_every_hop() -> None:
    open_client = OutboundClient(block_private_networks=False, user_agent="test")
    guarded = OutboundClient(block_private_networks=True, user_agent="test")
    async with serve(receiver()) as base:
        with pytest.raises(OutboundError, match="WEBHOOK_BLOCK_PRIVATE_NETWORKS") as refused:
            await guarded.request("GET", f"{base}/ok")
        assert not refused.value.retryable
        # "localhost" is a name: refused by the resolver at connect time, not by a look at the URL.
        port = base.rsplit(":", 1)[1]
        with pytest.raises(OutboundError, match="WEBHOOK_BLOCK_PRIVATE_NETWORKS"):
            await guarded.request("GET", f"http://localhost:{port}/ok")
        assert (await open_client.request("GET", f"http://localhost:{port}/ok")).ok
    await open_client.close()
    await guarded.close()


async def test_a_public_name_that_rebinds_to_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name looks public when the URL is checked, and is loopback when the
    connection is made. The guard sits in the resolver the connection uses, so it sees the latter."""
    calls: list[str] = []
    monkeypatch.setattr(http1, "resolve", fixed_resolver("127.0.0.1", calls))
    guarded = OutboundClient(block_private_networks=True, user_agent="test")
    async with serve(receiver()) as base:
        port = base.rsplit(":", 1)[1]
        with pytest.raises(OutboundError, match=r"resolves to 127\.0\.0\.1"):
            await guarded.request("GET", f"http://public.example:{port}/ok")
    assert calls == ["public.example"]
    await guarded.close()


async def test_a_redirect_into_the_private_network_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first hop is allowed, its redirect points inside: refused before the second connect.
    (127.0.0.1 stands for a public receiver here, 127.0.0.2 for the private network.)"""
    monkeypatch.setattr(client_module, "is_internal", lambda ip: str(ip) == "127.0.0.2")
    monkeypatch.setattr(http1, "is_internal", lambda ip: str(ip) == "127.0.0.2")
    guarded = OutboundClient(block_private_networks=True, user_agent="test")
    async with serve(receiver()) as base:
        port = base.rsplit(":", 1)[1]
        assert (await guarded.request("GET", f"{base}/redirect?to={base}/ok")).ok
        with pytest.raises(OutboundError, match=r"127\.0\.0\.2"):
            await guarded.request("GET", f"{base}/redirect?to=http://127.0.0.2:{port}/ok")
        # A name in the redirect goes through the guarded resolver.
        monkeypatch.setattr(http1, "resolve", fixed_resolver("127.0.0.2", []))
        guarded_by_name = OutboundClient(block_private_networks=True, user_agent="test")
        with pytest.raises(OutboundError, match=r"metadata\.internal resolves to 127\.0\.0\.2"):
            await guarded_by_name.request("GET", f"{base}/redirect?to=http://metadata.internal:{port}/ok")
        await guarded_by_name.close()
    await guarded.close()


def fixed_resolver(address: str, calls: list[str]) -> Callable[[str, int], Awaitable[list[str]]]:
    """A stand-in for DNS answering `address` for every name, recording the names asked."""

    async def resolve(host: str, _port: int) -> list[str]:
        calls.append(host)
        return [address]

    return resolve


@asynccontextmanager
async def socks5_proxy(seen: list[tuple[str, int]]) -> AsyncIterator[str]:
    """A minimal SOCKS5 proxy (no auth, CONNECT only) that records each target and pipes the bytes."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _version, methods = await reader.readexactly(2)
        await reader.readexactly(methods)
        writer.write(b"\x05\x00")
        _ver, _cmd, _rsv, kind = await reader.readexactly(4)
        if kind == 1:
            host = socket.inet_ntoa(await reader.readexactly(4))
        else:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        port = int.from_bytes(await reader.readexactly(2), "big")
        seen.append((host, port))
        upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        writer.write(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + port.to_bytes(2, "big"))
        await writer.drain()
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"socks5://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


async def test_socks_proxies_are_used_and_guarded() -> None:
    """Instances may have socks4/socks5 proxies (upstream's choices): media URLs go through them, and
    with the guard on a proxy inside the server's own network is refused."""
    seen: list[tuple[str, int]] = []
    client = OutboundClient(block_private_networks=False, user_agent="test")
    guarded = OutboundClient(block_private_networks=True, user_agent="test")
    async with serve(receiver()) as base, socks5_proxy(seen) as proxy:
        port = int(base.rsplit(":", 1)[1])
        answer = await client.request("POST", f"{base}/ok", json={"a": 1}, proxy=proxy)
        assert answer.ok and answer.json() == {"got": {"a": 1}}
        assert seen == [("127.0.0.1", port)]
        with pytest.raises(OutboundError, match=r"proxy 127\.0\.0\.1 is 127\.0\.0\.1"):
            await guarded.request("GET", "http://93.184.216.34/", proxy=proxy)
        assert len(seen) == 1
    await client.close()
    await guarded.close()
