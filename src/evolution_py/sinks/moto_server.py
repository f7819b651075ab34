"""Test helper shared by the SQS sink and S3 media storage: moto's server mode (SQS and S3 on one
port, AWS's wire protocol and signatures) started on a free loopback port, stopped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evolution_py.sinks.testing import free_port

MOTO_ACCOUNT = "123456789012"  # the account moto answers for
MOTO_KEYS = {"access_key": "testing", "secret_key": "testing", "region": "us-east-1"}


@asynccontextmanager
async def moto_server() -> AsyncIterator[int]:
    """moto's server (its port): `python -m moto.server` from the test extra."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("moto's server did not start")
        yield port
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
