"""Webhook delivery benchmark: sustained events/s and p99 accept→delivered latency of the durable
bus, against the faster of raw aiohttp and raw httpx posting the same bodies to the same receiver.

    PYTHONPATH=src .venv/bin/python bench/events.py [--events 20000] [--db sqlite|postgresql|mariadb]

Everything runs in one process tree: the receiver (bench/receiver.py, uvicorn+uvloop) is a child
process; the raw clients and the bus run in this process, one after another, with the same body
size and the same number of requests in flight. "Accept" is the moment `bus.publish` returns (the
delivery rows are committed in the outbox); "delivered" is the moment the receiver's 2xx came back
and the sink returned. The rate counts from the first publish to the last delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from benchlib import free_port  # noqa: E402

from evolution_py.config import Env  # noqa: E402
from evolution_py.events.bus import EventBus  # noqa: E402
from evolution_py.events.event import Event  # noqa: E402
from evolution_py.events.sink import Delivery  # noqa: E402
from evolution_py.events.subscriptions import Subscriptions  # noqa: E402
from evolution_py.sinks.webhook import WebhookConfig, WebhookSink  # noqa: E402
from evolution_py.store.db import Database  # noqa: E402

PG_ADMIN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def message_data(index: int) -> dict[str, Any]:
    """About 1 KB, shaped like a messages.upsert record."""
    return {
        "key": {"remoteJid": "5511988887777@s.whatsapp.net", "fromMe": False, "id": uuid.uuid4().hex.upper()},
        "pushName": "Bench Sender",
        "message": {"conversation": f"message {index} " + "lorem ipsum dolor sit amet " * 28},
        "messageType": "conversation",
        "messageTimestamp": int(time.time()),
        "instanceId": "bench-instance",
        "source": "android",
    }


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 100 else max(values)


def spawn_receiver(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(ROOT / "bench" / "receiver.py"), str(port)], stdout=subprocess.PIPE)


async def start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = spawn_receiver(port)
    assert proc.stdout is not None
    line = await asyncio.get_running_loop().run_in_executor(None, proc.stdout.readline)
    assert line.strip() == b"ready", line
    return proc, f"http://127.0.0.1:{port}/hook"


def bodies(count: int) -> list[bytes]:
    out = []
    for index in range(count):
        event = Event(event="messages.upsert", instance="bench", instance_id="bench-id", data=message_data(index))
        out.append(msgspec.json.encode(event.envelope("http://x", with_destination=True)))
    return out


async def raw_aiohttp(url: str, payloads: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(payloads)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def worker() -> None:
            for body in queue:
                started = time.perf_counter()
                async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                    await response.read()
                    assert response.status == 200
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(payloads) / elapsed, latencies


async def raw_httpx(url: str, payloads: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(payloads)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            for body in queue:
                started = time.perf_counter()
                response = await client.post(url, content=body, headers={"Content-Type": "application/json"})
                assert response.status_code == 200
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(payloads) / elapsed, latencies


class TimedWebhookSink(WebhookSink):
    """The real sink, noting when each delivery came back 2xx."""

    delivered_at: dict[str, float]
    expect: int = 0
    done: asyncio.Event

    async def send(self, delivery: Delivery) -> None:
        await super().send(delivery)
        self.delivered_at[delivery.event.id] = time.perf_counter()
        if len(self.delivered_at) >= self.expect:
            self.done.set()

    async def wait_for(self, count: int) -> None:
        self.expect = count
        if len(self.delivered_at) < count:
            self.done = asyncio.Event()
            await self.done.wait()


async def durable_bus(
    db_url: str, url: str, count: int, concurrency: int, producers: int, rate: float | None = None
) -> tuple[float, list[float], float]:
    """Publish `count` events (as fast as `producers` publishers can, or paced at `rate`/s) through
    the durable bus to the webhook sink; returns (events/s, latencies, CPU µs per event)."""
    db = Database(db_url)
    await db.migrate()
    config = WebhookConfig.from_env(
        Env(
            {
                "WEBHOOK_GLOBAL_ENABLED": "true",
                "WEBHOOK_GLOBAL_URL": url,
                "WEBHOOK_EVENTS_MESSAGES_UPSERT": "true",
                "WEBHOOK_CONCURRENCY_PER_TARGET": str(concurrency),
            }
        )
    )
    sink = TimedWebhookSink(config, Subscriptions(db))
    sink.delivered_at = {}
    sink.done = asyncio.Event()
    bus = EventBus(db)
    bus.add_sink(sink)
    await bus.start()
    await bus.publish(Event(event="messages.upsert", instance="bench", instance_id="bench-id", data={}))  # warm
    await sink.wait_for(1)
    sink.delivered_at.clear()
    accepted_at: dict[str, float] = {}
    events = [
        Event(event="messages.upsert", instance="bench", instance_id="bench-id", data=message_data(i))
        for i in range(count)
    ]

    async def publish(event: Event) -> None:
        # From the moment the producer hands the event over: the bus may deliver before its commit
        # returns (see EventBus.publish), so timing from the return would read negative.
        accepted_at[event.id] = time.perf_counter()
        await bus.publish(event)

    queue = iter(events)

    async def producer() -> None:
        for event in queue:
            await publish(event)

    cpu = time.process_time()
    started = time.perf_counter()
    if rate is None:
        await asyncio.gather(*(producer() for _ in range(producers)))
    else:
        tasks = []
        for index, event in enumerate(events):
            wait = started + index / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(publish(event)))
        await asyncio.gather(*tasks)
    await sink.wait_for(count)
    elapsed = max(sink.delivered_at.values()) - started
    cpu_per_event = (time.process_time() - cpu) / count * 1e6
    await bus.drain()
    await bus.stop()
    await db.dispose()
    latencies = [sink.delivered_at[i] - accepted_at[i] for i in accepted_at]
    return count / elapsed, latencies, cpu_per_event


async def raw_paced(url: str, payloads: list[bytes], rate: float) -> list[float]:
    """Raw aiohttp at a fixed offered rate: the latency floor for the paced bus run."""
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def post(body: bytes) -> None:
            sent = time.perf_counter()
            async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                await response.read()
            latencies.append(time.perf_counter() - sent)

        started = time.perf_counter()
        tasks = []
        for index, body in enumerate(payloads):
            wait = started + index / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(post(body)))
        await asyncio.gather(*tasks)
    return latencies


async def database_url(kind: str, workdir: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.db'}", None
    if kind == "mariadb":
        return await mariadb_url()

    name = f"evo_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def drop() -> None:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}", drop


async def mariadb_url() -> tuple[str, Any]:
    import asyncmy  # noqa: PLC0415 - only for --db mariadb

    name = f"evo_bench_{uuid.uuid4().hex[:10]}"

    async def admin(statement: str) -> None:
        connection = await asyncmy.connect(host="127.0.0.1", port=3306, user="root")
        async with connection.cursor() as cursor:
            await cursor.execute(statement)
        connection.close()

    await admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    return f"mysql+asyncmy://root@127.0.0.1:3306/{name}?charset=utf8mb4", lambda: admin(f"DROP DATABASE `{name}`")


def line(label: str, rate: float | None, latencies: list[float], extra: str = "") -> str:
    shown = f"{rate:>8.0f} ev/s" if rate is not None else " " * 13
    return (
        f"{label:<40} {shown}   p50 {statistics.median(latencies) * 1000:7.1f} ms"
        f"   p99 {p99(latencies) * 1000:7.1f} ms{extra}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3, help="raw and bus runs alternate; medians are reported")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (raw) / per target (bus)")
    parser.add_argument("--producers", type=int, default=64, help="concurrent publishers")
    parser.add_argument("--paced-rate", type=float, default=1000.0, help="offered load of the latency run (ev/s)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "mariadb"], default="sqlite")
    args = parser.parse_args()

    receiver, url = await start_receiver()
    aio: list[float] = []
    bus: list[float] = []
    cpu: list[float] = []
    aio_lat: list[float] = []
    bus_lat: list[float] = []
    try:
        payloads = bodies(args.events)
        await raw_aiohttp(url, payloads[:2000], args.concurrency)  # warm-up
        hx_rate, hx_lat = await raw_httpx(url, payloads[: max(args.events // 5, 1000)], args.concurrency)
        with tempfile.TemporaryDirectory() as tmp:
            for round_no in range(args.rounds):
                rate, latencies = await raw_aiohttp(url, payloads, args.concurrency)
                aio.append(rate)
                aio_lat += latencies
                db_url, cleanup = await database_url(args.db, Path(tmp) / str(round_no))
                try:
                    rate, latencies, cpu_us = await durable_bus(
                        db_url, url, args.events, args.concurrency, args.producers
                    )
                finally:
                    if cleanup is not None:
                        await cleanup()
                bus.append(rate)
                bus_lat += latencies
                cpu.append(cpu_us)
            paced_count = int(args.paced_rate * 5)
            raw_paced_lat = await raw_paced(url, payloads[:paced_count], args.paced_rate)
            db_url, cleanup = await database_url(args.db, Path(tmp) / "paced")
            try:
                _rate, paced_lat, _cpu = await durable_bus(
                    db_url, url, paced_count, args.concurrency, args.producers, rate=args.paced_rate
                )
            finally:
                if cleanup is not None:
                    await cleanup()
    finally:
        receiver.terminate()
        receiver.wait()

    aio_rate, bus_rate = statistics.median(aio), statistics.median(bus)
    baseline, name = (aio_rate, "aiohttp") if aio_rate >= hx_rate else (hx_rate, "httpx")
    print(
        f"events={args.events} rounds={args.rounds} concurrency={args.concurrency} "
        f"producers={args.producers} db={args.db}"
    )
    print(line("raw aiohttp POST (median of rounds)", aio_rate, aio_lat, f"   rounds {[round(r) for r in aio]}"))
    print(line("raw httpx POST", hx_rate, hx_lat))
    print(
        line(
            f"durable bus -> webhook ({args.db})",
            bus_rate,
            bus_lat,
            f"   rounds {[round(r) for r in bus]}   cpu {statistics.median(cpu):.0f} us/ev",
        )
    )
    print(f"saturation ratio vs the faster raw client ({name}): {bus_rate / baseline:.2f}")
    print(line(f"paced {args.paced_rate:g} ev/s: raw aiohttp", None, raw_paced_lat))
    print(line(f"paced {args.paced_rate:g} ev/s: durable bus accept->delivered", None, paced_lat))


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
