"""Issue 10 item 6: half-open connections must not starve new clients. A real socket flood, at a small
scale and on loopback only, against the server as a subprocess."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import httpx

from tests.support.process import ServerProcess

FLOOD = 300
CAP = 50
HEAD_TIMEOUT = 2.0


def _stall(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET / HTT")  # half a request line, then nothing
    sock.setblocking(False)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True  # EOF (after a 503, or nothing)
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


async def _still_open(socks: list[socket.socket], within: float) -> list[socket.socket]:
    """The sockets the server has not closed within `within` seconds."""
    deadline = time.monotonic() + within
    open_ = list(socks)
    while open_ and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        open_ = [sock for sock in open_ if not _closed_by_server(sock)]
    return open_


async def test_stalled_sockets_are_closed_and_a_client_is_answered(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path,
        {
            "SERVER_MAX_CONNECTIONS": str(CAP),
            "SERVER_HEADER_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
        },
    )
    await server.start()
    flood: list[socket.socket] = []
    try:
        flood = [_stall(server.port) for _ in range(FLOOD)]
        async with httpx.AsyncClient(base_url=server.base_url, timeout=3) as client:
            # During the flood: an answer (503 past the cap, or 200) without waiting for the flood.
            started = time.monotonic()
            during = await client.get("/")
            assert during.status_code in (200, 503)
            assert time.monotonic() - started < 2.0

            # Within the head deadline (and some slack) every stalled socket is closed by the server...
            open_ = await _still_open(flood, HEAD_TIMEOUT + 5)
            assert not open_, f"{len(open_)} of {FLOOD} stalled sockets still open after {HEAD_TIMEOUT + 5}s"

            # ... and a normal client is served again.
            assert (await client.get("/")).status_code == 200

        # A keep-alive connection that stalls in its second request head is closed too.
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        flood.append(sock)
        sock.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET / HTTP/1.1\r\nhost:")
        sock.setblocking(False)
        assert not await _still_open([sock], HEAD_TIMEOUT + 5)
    finally:
        for sock in flood:
            sock.close()
        server.ensure_stopped()


async def test_a_head_past_its_cap_is_refused(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, {"SERVER_MAX_HEADER_BYTES": "4096"})
    await server.start()
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        with sock:
            sock.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n" + b"x-pad: " + b"a" * 8192 + b"\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 431")
        # A head and a large body in one write: only the head counts.
        body = b'{"instanceName": "' + b"a" * 200_000 + b'"}'
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        with sock:
            sock.sendall(
                b"POST /instance/create HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                + f"apikey: {server.env['AUTHENTICATION_API_KEY']}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
                + body
            )
            answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 ") and not answer.startswith(b"HTTP/1.1 431"), answer[:200]
        async with httpx.AsyncClient(base_url=server.base_url, timeout=3) as client:
            assert (await client.get("/")).status_code == 200
    finally:
        server.ensure_stopped()


async def test_a_body_past_its_cap_is_refused(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, {"SERVER_MAX_BODY_MB": "1"})
    await server.start()
    try:
        # The head alone announces 2 MiB: the answer must come before any of the body is sent. (A
        # client still writing the body when the server answers and closes may see its write
        # reset instead of the answer, a race of the test, not of the server.)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        head = (
            "POST /instance/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"apikey: {server.env['AUTHENTICATION_API_KEY']}\r\ncontent-type: application/json\r\n"
            f"content-length: {2 * 1024 * 1024}\r\n\r\n"
        )
        writer.write(head.encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        assert status_line.split()[1:2] == [b"413"], status_line
    finally:
        server.ensure_stopped()
