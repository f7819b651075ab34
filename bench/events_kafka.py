"""Kafka sink: sustained events/s and accept→delivery latency vs raw aiokafka sending with acks.

    .venv/bin/python bench/events_kafka.py [--events 5000] [--rate 1000] [--seconds 4] [--rounds 3]

Both sides run in this one process and event loop, against the same Kafka-protocol broker (Tansu
from the test extra, started here on a free port, unless `--brokers` names one), alternating round by
round, each sending ~1 KB JSON records with acks=all and waiting for the ack, read back by one
aiokafka consumer:
- raw: `producer.send_and_wait(...)` with up to `--window` sends awaiting their ack at once;
- ours: `EventBus.publish(Event)` (durable, SQLite outbox) into the Kafka sink (global mode: plan,
  send, ack).
Throughput and latency are measured as in bench/events_nats.py; the ratio ours / raw is what counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from events_nats import WIRE, Arrivals, envelope_data, latency, throughput

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from evolution_py.events.bus import EventBus  # noqa: E402
from evolution_py.events.event import Event  # noqa: E402
from evolution_py.events.subscriptions import Subscriptions  # noqa: E402
from evolution_py.sinks.kafka.config import KafkaSettings  # noqa: E402
from evolution_py.sinks.kafka.sink import KafkaSink  # noqa: E402
from evolution_py.sinks.kafka.testing import kafka_broker  # noqa: E402
from evolution_py.store.db import Database  # noqa: E402


class Raw:
    """Plain aiokafka: at most `window` sends awaiting their ack."""

    def __init__(self, producer: AIOKafkaProducer, topic: str, window: int) -> None:
        self.producer = producer
        self.topic = topic
        self.window = asyncio.Semaphore(window)
        self.pending: set[asyncio.Task[None]] = set()

    async def publish(self, seq: int) -> None:
        body = {"event": WIRE, "instance": "bench", "data": envelope_data(seq), "date_time": "", "apikey": None}
        await self.window.acquire()
        task = asyncio.create_task(self._send(msgspec.json.encode(body)))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _send(self, body: bytes) -> None:
        try:
            await self.producer.send_and_wait(self.topic, body, key=b"bench")
        finally:
            self.window.release()


@contextlib.asynccontextmanager
async def brokers(given: str | None) -> AsyncIterator[str]:
    if given:
        yield given
        return
    async with kafka_broker() as port:
        yield f"127.0.0.1:{port}"


async def consume(consumer: AIOKafkaConsumer, arrivals: Arrivals) -> None:
    async for record in consumer:
        arrivals.on_body(record.value)


async def main(args: argparse.Namespace) -> None:
    tag = uuid.uuid4().hex[:8]
    async with brokers(args.brokers) as bootstrap:
        settings = KafkaSettings(
            enabled=True,
            brokers=(bootstrap,),
            global_enabled=True,
            topic_prefix=f"bench{tag}",
            global_events=frozenset({"MESSAGES_UPSERT"}),
            idempotent=args.idempotent,
        )
        raw_topic, ours_topic = f"bench{tag}.raw.{WIRE}", settings.global_topic(WIRE)
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic(raw_topic, 1, 1), NewTopic(ours_topic, 1, 1)])
        await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=args.idempotent)
        await producer.start()
        # Assigned, not subscribed: reading starts at once, at the end of each (new) topic.
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await consumer.start()
        consumer.assign([TopicPartition(raw_topic, 0), TopicPartition(ours_topic, 0)])
        await consumer.seek_to_end()
        tmp = tempfile.TemporaryDirectory()
        db = Database(f"sqlite+aiosqlite:///{tmp.name}/bench.db")
        await db.migrate()
        bus = EventBus(db) if args.durable else EventBus()
        sink = KafkaSink(settings, Subscriptions(db))
        bus.add_sink(sink)
        arrivals = Arrivals()
        reader = asyncio.create_task(consume(consumer, arrivals))
        try:
            raw = Raw(producer, raw_topic, args.window)
            await bus.start()
            assert await sink.producer.wait_ready(30), "the sink could not connect"

            async def ours(seq: int) -> None:
                await bus.publish(Event(event=WIRE, instance="bench", instance_id="bench", data=envelope_data(seq)))

            await throughput(raw.publish, arrivals, 500)
            await throughput(ours, arrivals, 500)
            ratios = []
            for round_no in range(args.rounds):
                raw_rate = await throughput(raw.publish, arrivals, args.events, args.producers)
                ours_rate = await throughput(ours, arrivals, args.events, args.producers)
                raw_p50, raw_p99 = await latency(raw.publish, arrivals, args.rate, args.seconds)
                ours_p50, ours_p99 = await latency(ours, arrivals, args.rate, args.seconds)
                ratios.append(ours_rate / raw_rate)
                print(
                    f"round {round_no + 1}: raw {raw_rate:.0f} ev/s, ours {ours_rate:.0f} ev/s "
                    f"(ratio {ours_rate / raw_rate:.2f}); at {args.rate:.0f} ev/s p50/p99 raw "
                    f"{raw_p50:.1f}/{raw_p99:.1f} ms, ours {ours_p50:.1f}/{ours_p99:.1f} ms",
                    flush=True,
                )
            print(f"\nrate ratio (target ≥ 0.5): {statistics.median(ratios):.2f} (rounds "
                  f"{', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip
        finally:
            reader.cancel()
            await bus.stop()
            await consumer.stop()
            await producer.stop()
            await db.dispose()
            tmp.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brokers", default=None, help="host:port of a running broker (default: start Tansu)")
    parser.add_argument("--events", type=int, default=5000, help="events per throughput run")
    parser.add_argument("--rate", type=float, default=1000, help="offered events/s in the latency run")
    parser.add_argument("--seconds", type=float, default=4, help="length of the latency run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window", type=int, default=256, help="raw sends awaiting acks at once")
    parser.add_argument("--producers", type=int, default=64, help="concurrent publishers in the throughput run")
    parser.add_argument("--idempotent", action="store_true", help="idempotent producers (Tansu refuses them)")
    parser.add_argument("--no-durable", dest="durable", action="store_false", help="in-memory bus (no outbox)")
    arguments = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(arguments))
