"""NATS sink: sustained events/s and accept→delivery latency vs raw nats-py JetStream publishing.

    .venv/bin/python bench/events_nats.py [--events 5000] [--rate 1000] [--seconds 4] [--rounds 3]

Both sides run in this one process and event loop, against the same local nats-server, alternating
round by round, each publishing ~1 KB JSON messages to subjects a JetStream stream covers and waiting
for the stream's ack, read back by one core-NATS subscriber:
- raw: `js.publish(...)` with up to `--window` publishes awaiting their ack at once;
- ours: `EventBus.publish(Event)` (durable, SQLite outbox) into the NATS sink (global mode: plan,
  JetStream publish, ack).
Throughput: `--events` events offered by `--producers` concurrent publishers, time until the last
arrives. Latency: `--rate` events/s offered at a steady pace for `--seconds`, p50/p99 of
accept→delivery. The result that counts is the ratio ours / raw.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import nats
from nats.aio.msg import Msg
from nats.js.api import StreamConfig

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from evolution_py.events.bus import EventBus  # noqa: E402
from evolution_py.events.event import Event  # noqa: E402
from evolution_py.events.subscriptions import Subscriptions  # noqa: E402
from evolution_py.sinks.nats.config import NatsSettings  # noqa: E402
from evolution_py.sinks.nats.sink import NatsSink  # noqa: E402
from evolution_py.store.db import Database  # noqa: E402

WIRE = "messages.upsert"
PAD = "x" * 700  # makes the envelope about 1 KB, like a small text message record


class Arrivals:
    def __init__(self) -> None:
        self.latency: dict[int, float] = {}
        self.expected = 0
        self.last = 0.0
        self.complete = asyncio.Event()

    def reset(self, expected: int) -> None:
        self.latency.clear()
        self.expected = expected
        self.complete.clear()

    async def on_message(self, message: Msg) -> None:
        self.on_body(message.data)

    def on_body(self, body: bytes) -> None:
        now = time.perf_counter()
        data = msgspec.json.decode(body)["data"]
        self.latency.setdefault(int(data["seq"]), now - float(data["t"]))
        self.last = now
        if len(self.latency) >= self.expected:
            self.complete.set()


def envelope_data(seq: int) -> dict[str, Any]:
    return {"seq": seq, "t": time.perf_counter(), "pad": PAD}


Publish = Callable[[int], Awaitable[None]]


async def throughput(publish: Publish, arrivals: Arrivals, events: int, producers: int = 64) -> float:
    arrivals.reset(events)
    start = time.perf_counter()
    sequence = iter(range(events))

    async def producer() -> None:
        for seq in sequence:
            await publish(seq)

    await asyncio.gather(*(producer() for _ in range(max(1, producers))))
    await asyncio.wait_for(arrivals.complete.wait(), 300)
    return events / (arrivals.last - start)


async def latency(publish: Publish, arrivals: Arrivals, rate: float, seconds: float) -> tuple[float, float]:
    total = int(rate * seconds)
    arrivals.reset(total)
    start = time.perf_counter()
    for seq in range(total):
        delay = start + seq / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await publish(seq)
    await asyncio.wait_for(arrivals.complete.wait(), 300)
    values = sorted(arrivals.latency.values())
    return statistics.median(values) * 1000, values[int(len(values) * 0.99) - 1] * 1000


class Raw:
    """Plain nats-py JetStream: at most `window` publishes awaiting their ack."""

    def __init__(self, js: Any, subject: str, window: int) -> None:
        self.js = js
        self.subject = subject
        self.window = asyncio.Semaphore(window)
        self.pending: set[asyncio.Task[None]] = set()

    async def publish(self, seq: int) -> None:
        body = {"event": WIRE, "instance": "bench", "data": envelope_data(seq), "date_time": "", "apikey": None}
        await self.window.acquire()
        task = asyncio.create_task(self._send(msgspec.json.encode(body), seq))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _send(self, body: bytes, seq: int) -> None:
        try:
            await self.js.publish(self.subject, body, headers={"Nats-Msg-Id": f"raw-{seq}-{time.perf_counter()}"})
        finally:
            self.window.release()


async def main(args: argparse.Namespace) -> None:
    tag = uuid.uuid4().hex[:8]
    prefix = f"bench_{tag}"
    raw_subject, stream = f"{prefix}.raw.{WIRE}", f"BENCH_{tag}"
    settings = NatsSettings(
        enabled=True,
        servers=(args.uri,),
        global_enabled=True,
        prefix_key=f"{prefix}.ours",
        global_events=frozenset({"MESSAGES_UPSERT"}),
    )
    client = await nats.connect(args.uri)
    js = client.jetstream()
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{prefix}.>"], max_msgs=200_000))
    tmp = tempfile.TemporaryDirectory()
    db = Database(f"sqlite+aiosqlite:///{tmp.name}/bench.db")
    await db.migrate()
    bus = EventBus(db) if args.durable else EventBus()
    sink = NatsSink(settings, Subscriptions(db))
    bus.add_sink(sink)
    try:
        arrivals = Arrivals()
        await client.subscribe(f"{prefix}.>", cb=arrivals.on_message)
        raw = Raw(js, raw_subject, args.window)
        await bus.start()
        assert await sink.connection.wait_ready(15), "the sink could not connect"

        async def ours(seq: int) -> None:
            await bus.publish(Event(event=WIRE, instance="bench", instance_id="bench", data=envelope_data(seq)))

        await throughput(raw.publish, arrivals, 500)
        await throughput(ours, arrivals, 500)

        rows: list[dict[str, float]] = []
        for round_no in range(args.rounds):
            row = {
                "raw_rate": await throughput(raw.publish, arrivals, args.events, args.producers),
                "ours_rate": await throughput(ours, arrivals, args.events, args.producers),
            }
            row["raw_p50"], row["raw_p99"] = await latency(raw.publish, arrivals, args.rate, args.seconds)
            row["ours_p50"], row["ours_p99"] = await latency(ours, arrivals, args.rate, args.seconds)
            rows.append(row)
            print(
                f"round {round_no + 1}: raw {row['raw_rate']:.0f} ev/s, ours {row['ours_rate']:.0f} ev/s "
                f"(ratio {row['ours_rate'] / row['raw_rate']:.2f}); at {args.rate:.0f} ev/s p50/p99 "
                f"raw {row['raw_p50']:.1f}/{row['raw_p99']:.1f} ms, "
                f"ours {row['ours_p50']:.1f}/{row['ours_p99']:.1f} ms",
                flush=True,
            )

        def med(key: str) -> float:
            return statistics.median(r[key] for r in rows)

        ratios = [r["ours_rate"] / r["raw_rate"] for r in rows]
        print()
        print("| ours ev/s | raw ev/s | rate ratio (target ≥ 0.5) | p50 ours / raw | p99 ours / raw |")
        print("|---|---|---|---|---|")
        print(
            f"| {med('ours_rate'):.0f} | {med('raw_rate'):.0f} | {statistics.median(ratios):.2f} "
            f"(rounds {', '.join(f'{r:.2f}' for r in ratios)}) | {med('ours_p50'):.1f} / {med('raw_p50'):.1f} ms "
            f"| {med('ours_p99'):.1f} / {med('raw_p99'):.1f} ms |"
        )
    finally:
        await bus.stop()
        await js.delete_stream(stream)
        await client.close()
        await db.dispose()
        tmp.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="nats://127.0.0.1:4222")
    parser.add_argument("--events", type=int, default=5000, help="events per throughput run")
    parser.add_argument("--rate", type=float, default=1000, help="offered events/s in the latency run")
    parser.add_argument("--seconds", type=float, default=4, help="length of the latency run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window", type=int, default=256, help="raw publishes awaiting acks at once")
    parser.add_argument("--producers", type=int, default=64, help="concurrent publishers in the throughput run")
    parser.add_argument("--no-durable", dest="durable", action="store_false", help="in-memory bus (no outbox)")
    arguments = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(arguments))
