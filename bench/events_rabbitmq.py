"""RabbitMQ sink: sustained events/s and accept→delivery latency vs raw aio-pika publishing with confirms.

    .venv/bin/python bench/events_rabbitmq.py [--events 5000] [--rate 1000] [--seconds 4] [--rounds 3]
        [--db sqlite|postgresql]

Both sides run in this one process and event loop, against the same local broker, alternating
round by round, each publishing ~1 KB persistent JSON messages to a durable quorum queue on a topic
exchange, with publisher confirms, and read back by the same kind of consumer:
- raw: `exchange.publish(...)` with up to `--window` publishes awaiting their confirm at once;
- ours: `EventBus.publish(Event)` into the RabbitMQ sink (global mode, plan + send + confirm).
"Accepted" is the moment the raw publish is started / the bus accepts the event; "delivered" is the
consumer receiving it. Throughput: `--events` events offered by `--producers` concurrent publishers,
time until the last arrives.
Latency: `--rate` events/s offered at a steady pace for `--seconds`, p50/p99 of accept→delivery.
The result that counts is the ratio ours / raw.
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

import aio_pika
import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from evolution_py.events.bus import EventBus  # noqa: E402
from evolution_py.events.event import Event  # noqa: E402
from evolution_py.events.subscriptions import Subscriptions  # noqa: E402
from evolution_py.sinks.rabbitmq.config import RabbitSettings  # noqa: E402
from evolution_py.sinks.rabbitmq.connection import QUEUE_ARGUMENTS  # noqa: E402
from evolution_py.sinks.rabbitmq.sink import RabbitMQSink  # noqa: E402
from evolution_py.store.db import Database  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from events import database_url  # noqa: E402

WIRE = "messages.upsert"
PAD = "x" * 700  # makes the envelope about 1 KB, like a small text message record


class Arrivals:
    """What the consumer saw: per sequence number the accept→delivery latency."""

    def __init__(self) -> None:
        self.latency: dict[int, float] = {}
        self.expected = 0
        self.last = 0.0
        self.complete = asyncio.Event()

    def reset(self, expected: int) -> None:
        self.latency.clear()
        self.expected = expected
        self.complete.clear()

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        now = time.perf_counter()
        data = msgspec.json.decode(message.body)["data"]
        self.latency.setdefault(int(data["seq"]), now - float(data["t"]))
        self.last = now
        if len(self.latency) >= self.expected:
            self.complete.set()


def envelope_data(seq: int) -> dict[str, Any]:
    return {"seq": seq, "t": time.perf_counter(), "pad": PAD}


Publish = Callable[[int], Awaitable[None]]


async def throughput(publish: Publish, arrivals: Arrivals, events: int, producers: int = 64) -> float:
    """`producers` concurrent publishers share the events, as a server's many instances and handlers
    do: a durable `publish` waits for its commit, so one sequential producer would measure commit
    latency, not throughput (raw aio-pika pipelines through its confirm window instead)."""
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
    """Plain aio-pika: a confirming channel, at most `window` publishes awaiting confirms."""

    def __init__(self, connection: aio_pika.abc.AbstractConnection, exchange_name: str, window: int) -> None:
        self.connection = connection
        self.exchange_name = exchange_name
        self.window = asyncio.Semaphore(window)
        self.pending: set[asyncio.Task[None]] = set()

    async def setup(self, queue_name: str) -> None:
        channel = await self.connection.channel(publisher_confirms=True)
        self.exchange = await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(queue_name, durable=True, arguments=QUEUE_ARGUMENTS)
        await queue.bind(self.exchange, routing_key=WIRE)

    async def publish(self, seq: int) -> None:
        body = {"event": WIRE, "instance": "bench", "data": envelope_data(seq), "date_time": "", "apikey": None}
        await self.window.acquire()
        task = asyncio.create_task(self._send(msgspec.json.encode(body), seq))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _send(self, body: bytes, seq: int) -> None:
        try:
            message = aio_pika.Message(
                body,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(seq),
            )
            await self.exchange.publish(message, routing_key=WIRE, mandatory=True)
        finally:
            self.window.release()


async def main(args: argparse.Namespace) -> None:
    tag = uuid.uuid4().hex[:8]
    raw_exchange, raw_queue = f"bench_raw_{tag}", f"bench_raw_{tag}.{WIRE}"
    settings = RabbitSettings(
        enabled=True,
        uri=args.uri,
        exchange_name=f"bench_ours_{tag}",
        global_enabled=True,
        prefix_key=f"bench_ours_{tag}",
        global_events=frozenset({"MESSAGES_UPSERT"}),
    )
    ours_queue = settings.global_queue(WIRE)

    consumer_conn = await aio_pika.connect(args.uri)
    raw_conn = await aio_pika.connect(args.uri)
    tmp = tempfile.TemporaryDirectory()
    db_url, drop_db = await database_url(args.db, Path(tmp.name))  # the outbox's database
    db = Database(db_url)
    await db.migrate()
    # Durability on: every accepted event is committed to the outbox before `publish` returns.
    bus = EventBus(db) if args.durable else EventBus()
    sink = RabbitMQSink(settings, Subscriptions(db))
    if args.in_flight:
        sink.max_in_flight = sink.concurrency_per_target = args.in_flight
    bus.add_sink(sink)
    consume = await consumer_conn.channel()
    try:
        await consume.set_qos(prefetch_count=2000)
        arrivals = Arrivals()
        raw = Raw(raw_conn, raw_exchange, args.window)
        await raw.setup(raw_queue)
        await bus.start()
        assert await sink.connection.wait_ready(15), "the sink could not connect"
        for name in (raw_queue, ours_queue):
            queue = await consume.declare_queue(name, durable=True, arguments=QUEUE_ARGUMENTS)
            await queue.consume(arrivals.on_message, no_ack=True)

        async def ours(seq: int) -> None:
            await bus.publish(Event(event=WIRE, instance="bench", instance_id="bench", data=envelope_data(seq)))

        # Warm-up: connections, declarations, JIT-free but caches and the consumer.
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
        await consume.close()  # consumers first, so deleting their queues cancels nobody
        cleanup = await consumer_conn.channel()
        for name in (raw_queue, ours_queue):
            await cleanup.queue_delete(name, if_unused=False, if_empty=False)
        for name in (raw_exchange, settings.exchange_name):
            await cleanup.exchange_delete(name)
        await consumer_conn.close()
        await raw_conn.close()
        await db.dispose()
        if drop_db is not None:
            await drop_db()
        tmp.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--events", type=int, default=5000, help="events per throughput run")
    parser.add_argument("--rate", type=float, default=1000, help="offered events/s in the latency run")
    parser.add_argument("--seconds", type=float, default=4, help="length of the latency run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite", help="the outbox's database")
    parser.add_argument("--window", type=int, default=256, help="raw publishes awaiting confirms at once")
    parser.add_argument("--in-flight", type=int, default=0, help="override the sink's max_in_flight (0: keep 256)")
    parser.add_argument("--producers", type=int, default=64, help="concurrent publishers in the throughput run")
    parser.add_argument(
        "--no-durable",
        dest="durable",
        action="store_false",
        help="in-memory bus (no outbox), to see what durability costs",
    )
    arguments = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(arguments))
