"""The real server process with the real neonize client dialing into a black hole (a proxy that
accepts and never answers, as a dead network does): the API keeps answering, and Ctrl-C or SIGTERM
ends the process in seconds although whatsmeow holds its dial for about a minute."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

KEY = "stall-test-key-0123456789"
SRC = str(Path(__file__).resolve().parents[2] / "src")


@asynccontextmanager
async def black_hole() -> AsyncIterator[int]:
    held: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, read nothing, answer nothing

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_stalled_dial_blocks_neither_api_nor_exit(tmp_path: Path, signum: int) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "SERVER_PORT": str(port),
        "DATA_DIR": str(tmp_path),
        "AUTHENTICATION_API_KEY": KEY,
        "LOG_LEVEL": "WARN",
    }
    async with black_hole() as hole:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "evolution_py", "serve", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"apikey": KEY}) as http:
                for _ in range(100):
                    try:
                        await http.get("/")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                created = await http.post(
                    "/instance/create",
                    json={"instanceName": "stall", "integration": "WHATSAPP-BAILEYS", "proxyHost": "127.0.0.1",
                          "proxyPort": str(hole), "proxyProtocol": "http"},
                )  # fmt: skip
                assert created.status_code == 201, created.text
                connect = await http.get("/instance/connect/stall")
                assert connect.json() == {"count": 0}
                begin = time.monotonic()
                state = await http.get("/instance/connectionState/stall")
                assert state.json() == {"instance": {"instanceName": "stall", "state": "connecting"}}
                assert (await http.get("/instance/fetchInstances")).status_code == 200
                assert time.monotonic() - begin < 1.0
            begin = time.monotonic()
            process.send_signal(signum)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
            assert time.monotonic() - begin < 10, output.decode()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
