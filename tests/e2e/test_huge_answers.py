"""A webhook receiver's answer is never read whole: 512 MB answers (generated lazily, never held by
the receiver) leave the server's memory where it was, a 2xx is still a success, a 5xx a retry with
a short reason, and a receiver that never finishes its answer is cut off by the total time limit.
The server runs as a real subprocess; its peak RSS is read from /proc."""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.support.process import ServerProcess
from tests.support.server import TEST_API_KEY, free_port, unique

HUGE = 512 * 1024 * 1024
CHUNK = b"x" * (64 * 1024)
RSS_BOUND = 50 * 1024 * 1024
TIMEOUT_MS = 3000

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")


class HugeAnswers:
    """`/small` answers 200 "ok"; `/huge-ok` 200 + 512 MB (Content-Length); `/huge-fail` 500 +
    512 MB (chunked) starting with a NUL and terminal escapes; `/gzip-fail` 500 with a gzip body;
    `/drip-fail` 500 whose body never ends. Counts what each request was actually sent."""

    def __init__(self) -> None:
        self.port = free_port()
        self.hits: dict[str, int] = {}
        self.bytes_sent: dict[str, int] = {}
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _stream(self, request: web.Request, response: web.StreamResponse, first: bytes) -> None:
        await response.prepare(request)
        sent = 0
        try:
            await response.write(first)
            sent += len(first)
            while sent < HUGE:
                await response.write(CHUNK)
                sent += len(CHUNK)
        except (ConnectionError, RuntimeError):
            pass  # the server closed the connection: what this test wants
        finally:
            self.bytes_sent[request.path] = self.bytes_sent.get(request.path, 0) + sent

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        if path == "/huge-ok":
            response = web.StreamResponse(status=200)
            response.content_length = HUGE + 2
            await self._stream(request, response, b"ok")
            return response
        if path == "/huge-fail":
            response = web.StreamResponse(status=500)
            response.enable_chunked_encoding()
            await self._stream(request, response, b"overloaded\x00\x1b[2J\r\n" + b"y" * 1000)
            return response
        if path == "/gzip-fail":
            return web.Response(status=500, body=gzip.compress(b"z" * 100_000), headers={"Content-Encoding": "gzip"})
        if path == "/drip-fail":
            response = web.StreamResponse(status=500)
            await response.prepare(request)
            try:
                for _ in range(600):
                    await response.write(b".")
                    await asyncio.sleep(0.1)
            except (ConnectionError, RuntimeError):
                pass
            return response
        return web.Response(text="ok")

    async def __aenter__(self) -> HugeAnswers:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def reset_peak(pid: int) -> None:
    """VmHWM starts again from the current RSS (Linux >= 4.0: `5` into clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def pending_rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT count(*) FROM \"EventDelivery\" WHERE status = 'pending'").fetchone()[0])


async def wait_until(predicate: Callable[[], Any], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_huge_answers_are_cut_and_memory_stays_flat(tmp_path: Path) -> None:
    db_path = tmp_path / "evolution.db"
    env = {
        "DATABASE_PROVIDER": "sqlite",
        "DATABASE_CONNECTION_URI": f"sqlite:///{db_path}",
        "WEBHOOK_RETRY_INITIAL_DELAY_SECONDS": "0.05",
        "WEBHOOK_RETRY_MAX_DELAY_SECONDS": "0.1",
        "WEBHOOK_RETRY_MAX_ATTEMPTS": "2",
        "WEBHOOK_REQUEST_TIMEOUT_MS": str(TIMEOUT_MS),
    }
    server = ServerProcess(tmp_path, env)
    headers = {"apikey": TEST_API_KEY}
    async with HugeAnswers() as rx:
        try:
            await server.start()
            assert server.proc is not None
            pid = server.proc.pid
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
                names = {path: unique() for path in ("small", "huge-ok", "huge-fail", "gzip-fail", "drip-fail")}
                for path, name in names.items():
                    webhook = {"url": f"{rx.url}/{path}", "events": ["SEND_MESSAGE"]}
                    body = {"instanceName": name, "integration": "EVOLUTION", "webhook": webhook}
                    assert (await client.post("/instance/create", json=body, headers=headers)).status_code == 201

                async def send(path: str) -> None:
                    body = {"number": "5511777776666", "text": "hello"}
                    answer = await client.post(f"/message/sendText/{names[path]}", json=body, headers=headers)
                    assert answer.status_code == 201, answer.text

                async def dead(path: str) -> list[dict[str, Any]]:
                    page = (await client.get(f"/events/dead/{names[path]}", headers=headers)).json()
                    return list(page["records"])

                # Warm up every code path the huge answers take (sends, retries, dead letters).
                for _ in range(5):
                    await send("small")
                await send("gzip-fail")
                await wait_until(lambda: _has(dead, "gzip-fail"), 30, "gzip-fail dead-lettered")
                await wait_until(lambda: _no_pending(db_path), 30, "warm-up delivered")
                baseline = status_kb(pid, "VmRSS")
                reset_peak(pid)

                started = time.monotonic()
                await send("huge-ok")
                await send("huge-fail")
                await wait_until(lambda: _has(dead, "huge-fail"), 60, "huge-fail dead-lettered")
                await wait_until(lambda: _no_pending(db_path), 60, "huge-ok delivered")
                elapsed = time.monotonic() - started
                peak = status_kb(pid, "VmHWM")
                growth = peak - baseline
                print(f"\nRSS baseline {baseline / 2**20:.1f} MiB, peak {peak / 2**20:.1f} MiB, growth "
                      f"{growth / 2**20:.1f} MiB; sent by the receiver: {rx.bytes_sent}; {elapsed:.2f}s")  # fmt: skip
                assert growth < RSS_BOUND, f"server RSS grew by {growth / 2**20:.1f} MiB"

                # 2xx with a huge body: a success (delivered once, not dead, not pending).
                assert rx.hits["/huge-ok"] == 1 and await dead("huge-ok") == []
                # 5xx with a huge body: retried, then dead with the status only (no body text).
                assert rx.hits["/huge-fail"] == 2
                (record,) = await dead("huge-fail")
                assert record["lastError"] == "HTTP 500 Internal Server Error", record["lastError"]
                # Neither answer was read through: the connection was closed early.
                assert all(sent < 64 * 1024 * 1024 for sent in rx.bytes_sent.values()), rx.bytes_sent
                # A compressed answer is not inflated, nor shown.
                (record,) = await dead("gzip-fail")
                assert record["lastError"] == "HTTP 500 Internal Server Error"

                # An answer that never ends is cut by the total time limit of each attempt.
                started = time.monotonic()
                await send("drip-fail")
                await wait_until(lambda: _has(dead, "drip-fail"), 30, "drip-fail dead-lettered")
                assert time.monotonic() - started < 2 * TIMEOUT_MS / 1000 + 5
                (record,) = await dead("drip-fail")
                assert record["lastError"] == f"no answer from {rx.url} within {TIMEOUT_MS / 1000:g}s"
        finally:
            server.ensure_stopped()


async def _has(dead: Callable[[str], Any], path: str) -> bool:
    return bool(await dead(path))


async def _no_pending(db_path: Path) -> bool:
    return pending_rows(db_path) == 0
