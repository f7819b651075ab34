"""The lean HTTP/1.1 client under the guarded client (outbound/http1.py), against raw TCP servers
that answer exactly the bytes each case needs: keep-alive and its stale connections, answers
without a length, interim answers, cut answers, bad answers, and requests that must not be sent."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from evolution_py.outbound import OutboundClient, OutboundError
from evolution_py.outbound.http1 import AnswerHeaders

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """A TCP server calling `handler(reader, writer, connection_number)`; yields its base URL."""
    connections = 0

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            await handler(reader, writer, connections)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One request: its head and its body (by Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head, await reader.readexactly(length)


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def test_one_connection_carries_many_requests_and_each_is_framed() -> None:
    heads: list[bytes] = []
    per_connection: list[int] = []

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        per_connection.append(number)
        while True:
            head, body = await read_request(reader)
            heads.append(head + body)
            writer.write(OK)
            await writer.drain()

    client = OutboundClient(block_private_networks=False, user_agent="evo-test")
    async with raw_server(keep_alive) as base:
        for index in range(3):
            answer = await client.request("POST", f"{base}/hook?n={index}", data=b'{"a":1}', headers={"X-A": "1"})
            assert answer.ok and answer.body == b"ok"
        empty = await client.request("POST", f"{base}/empty")
        assert empty.ok
    await client.close()
    assert per_connection == [1]  # kept alive, reused
    first = heads[0].decode()
    assert first.startswith("POST /hook?n=0 HTTP/1.1\r\n")
    assert "\r\nHost: 127.0.0.1:" in first and "\r\nUser-Agent: evo-test\r\n" in first
    assert "\r\nAccept-Encoding: identity\r\n" in first and "\r\nX-A: 1\r\n" in first
    assert "\r\nContent-Length: 7\r\n" in first and first.endswith('\r\n\r\n{"a":1}')
    assert "\r\nContent-Length: 0\r\n" in heads[3].decode()  # a POST without a body says so


async def test_a_pooled_connection_the_server_dropped_is_retried_once_on_a_new_one() -> None:
    """The server closes its side of an idle connection just as the next request goes out: that
    request gets no byte of an answer, and is sent again on a fresh connection."""
    served: list[int] = []

    async def one_then_drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        await read_request(reader)
        served.append(number)
        writer.write(OK)
        await writer.drain()
        if number == 1:
            await read_request(reader)  # the second request on this connection: dropped unanswered
            writer.transport.abort()
            return
        while True:
            await read_request(reader)
            served.append(number)
            writer.write(OK)
            await writer.drain()

    client = OutboundClient(block_private_networks=False, user_agent="t")
    async with raw_server(one_then_drop) as base:
        assert (await client.request("POST", f"{base}/a", data=b"1")).ok
        assert (await client.request("POST", f"{base}/a", data=b"2")).ok
    await client.close()
    assert served == [1, 2]


async def test_an_answer_without_a_length_ends_with_its_connection() -> None:
    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, ")
        await writer.drain()
        writer.write(b"world")
        await writer.drain()

    client = OutboundClient(block_private_networks=False, user_agent="t")
    async with raw_server(until_close) as base:
        answer = await client.request("GET", f"{base}/x")
        assert answer.status == 200 and answer.body == b"hello, world" and not answer.truncated
        assert answer.headers["content-type"] == "text/plain"
    await client.close()


async def test_an_interim_answer_is_skipped() -> None:
    async def continue_then_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + b"HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone")
        await writer.drain()
        await reader.read()

    client = OutboundClient(block_private_networks=False, user_agent="t")
    async with raw_server(continue_then_ok) as base:
        answer = await client.request("POST", f"{base}/x", data=b"{}")
        assert answer.status == 201 and answer.body == b"done"
    await client.close()


async def test_a_long_answer_is_cut_and_its_connection_not_reused() -> None:
    per_connection: list[int] = []

    async def long_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        per_connection.append(number)
        while True:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 100_000)
            await writer.drain()

    client = OutboundClient(block_private_networks=False, user_agent="t")
    async with raw_server(long_answer) as base:
        first = await client.request("GET", f"{base}/x", max_bytes=1000)
        assert first.truncated and first.body == b"y" * 1000
        whole = await client.request("GET", f"{base}/x", max_bytes=100_000)
        assert not whole.truncated and len(whole.body) == 100_000
    await client.close()
    assert per_connection == [1, 2]


async def test_a_malformed_answer_fails_without_quoting_it() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        await read_request(reader)
        writer.write(b"-ERR secret-internal-redis-banner\r\n")
        await writer.drain()
        await reader.read()

    client = OutboundClient(block_private_networks=False, user_agent="t")
    async with raw_server(garbage) as base:
        with pytest.raises(OutboundError) as failed:
            await client.request("POST", f"{base}/x", data=b"{}")
    await client.close()
    assert "secret" not in failed.value.reason and failed.value.retryable
    assert failed.value.reason.startswith("malformed HTTP answer from http://127.0.0.1:")


async def test_a_header_that_would_split_the_request_is_refused_and_nothing_is_sent() -> None:
    connections: list[int] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        connections.append(number)
        await read_request(reader)
        writer.write(OK)
        await writer.drain()

    client = OutboundClient(block_private_networks=False, user_agent="t")
    async with raw_server(record) as base:
        for headers in ({"X-A": "1\r\nX-Injected: 1"}, {"X-A\r\nX-B": "1"}, {"X A": "1"}, {"X-A": "a\x00b"}):
            with pytest.raises(OutboundError, match="request refused") as refused:
                await client.request("POST", f"{base}/x", data=b"{}", headers=headers)
            assert not refused.value.retryable
    await client.close()
    assert connections == []


async def test_credentials_in_the_url_become_basic_authorization() -> None:
    heads: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        head, _body = await read_request(reader)
        heads.append(head)
        writer.write(OK)
        await writer.drain()

    client = OutboundClient(block_private_networks=False, user_agent="t")
    async with raw_server(record) as base:
        url = base.replace("http://", "http://user:p%40ss@")
        assert (await client.request("POST", f"{url}/x", data=b"{}", headers={"Authorization": "Bearer x"})).ok
    await client.close()
    expected = base64.b64encode(b"user:p@ss").decode()
    assert f"\r\nAuthorization: Basic {expected}\r\n".encode() in heads[0]
    assert b"Bearer" not in heads[0]


async def test_a_request_cut_by_its_time_limit_does_not_poison_the_pool() -> None:
    async def slow_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        while True:
            await read_request(reader)
            if number == 1:
                await asyncio.sleep(2)
            writer.write(OK)
            await writer.drain()

    client = OutboundClient(block_private_networks=False, user_agent="t")
    async with raw_server(slow_first) as base:
        with pytest.raises(OutboundError, match="no answer"):
            await client.request("POST", f"{base}/x", data=b"1", time_limit=0.2)
        answer = await client.request("POST", f"{base}/x", data=b"2", time_limit=1)
        assert answer.ok and answer.body == b"ok"  # not the late answer to the first request
    await client.close()


async def test_a_closed_port_is_a_retryable_connect_failure() -> None:
    server = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = OutboundClient(block_private_networks=False, user_agent="t")
    with pytest.raises(OutboundError, match=f"cannot connect to http://127.0.0.1:{port}") as failed:
        await client.request("POST", f"http://127.0.0.1:{port}/x", data=b"{}")
    assert failed.value.retryable
    await client.close()


def test_answer_headers_are_case_insensitive_and_decoded_on_first_read() -> None:
    raw = [(b"Content-Type", b"text/plain"), (b"Retry-After", b"3"), (b"retry-after", b"9"), (b"X-Bin", b"\xff")]
    headers = AnswerHeaders(raw)
    assert headers._decoded is None  # nothing decoded until a header is read
    assert headers.get("retry-AFTER") == "3"  # the first of a repeated header, as a multidict answers
    assert headers["content-type"] == "text/plain"
    assert headers.get("Location") is None and "Location" not in headers
    assert headers["x-bin"] == "\udcff"  # undecodable bytes kept, never an error
    assert {name.lower() for name in headers} == {"content-type", "retry-after", "x-bin"}
