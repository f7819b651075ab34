"""One aiokafka producer kept running forever: started again and again until the brokers answer
(upstream: 10 tries, then silence until restart), then left to aiokafka, which reconnects by itself.

Idempotent with `acks=all` as upstream's kafkajs producer; SASL (PLAIN, SCRAM) and TLS from the
settings; topics created with KAFKA_NUM_PARTITIONS / KAFKA_REPLICATION_FACTOR when
KAFKA_AUTO_CREATE_TOPICS is true (the global ones at start, an instance's when first missing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import tempfile
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
)

from evolution_py.events.names import ALL_WIRE_NAMES, subscription_key
from evolution_py.sinks.kafka.config import KafkaSettings

log = logging.getLogger(__name__)


class KafkaUnavailable(Exception):
    """No producer yet, or the brokers did not take the record now: retry later."""


class KafkaRefused(Exception):
    """The brokers will never take this record (too large, invalid topic)."""


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    if not settings.ssl_enabled:
        return None
    context = ssl.create_default_context(cadata=settings.ssl_ca) if settings.ssl_ca else ssl.create_default_context()
    if not settings.ssl_reject_unauthorized:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if settings.ssl_cert and settings.ssl_key:
        # The PEM texts come from the environment; Python's ssl loads a chain from files only.
        with tempfile.TemporaryDirectory() as folder:
            cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
            for path, text in ((cert, settings.ssl_cert), (key, settings.ssl_key)):
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(text)
            context.load_cert_chain(cert, key)
    return context


class KafkaProducer:
    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._ready = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._created: set[str] = set()
        self.starts = 0  # producers started so far (tests and logs)

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def _client_options(self) -> dict[str, Any]:
        settings = self.settings
        options: dict[str, Any] = {
            "bootstrap_servers": list(settings.brokers),
            "client_id": settings.client_id,
            "request_timeout_ms": settings.request_timeout_ms,
            "security_protocol": settings.security_protocol,
            "ssl_context": ssl_context(settings),
        }
        if settings.sasl_mechanism:
            options |= {
                "sasl_mechanism": settings.sasl_mechanism,
                "sasl_plain_username": settings.sasl_username,
                "sasl_plain_password": settings.sasl_password,
            }
        return options

    async def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="kafka-producer")

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        self._ready.clear()
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def wait_ready(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _supervise(self) -> None:
        delay = 0.5
        while self._producer is None:
            try:
                producer = AIOKafkaProducer(
                    **self._client_options(), acks="all", enable_idempotence=self.settings.idempotent
                )
            except Exception as exc:  # noqa: BLE001 - a setting no start can get past: said, tried again
                # A malformed KAFKA_SSL_CA/CERT/KEY or SASL option. Before, this ended the supervisor
                # without a word, and every delivery failed with "Kafka is not connected".
                reason = str(exc) if isinstance(exc, ssl.SSLError) else type(exc).__name__
                log.error(
                    "kafka: the producer cannot be set up (%s): check the KAFKA_SSL_* and KAFKA_SASL_* "
                    "settings; retrying in %.1fs",
                    reason,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)
                continue
            try:
                await asyncio.wait_for(producer.start(), self.settings.connection_timeout_ms / 1000 + 10)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            except Exception as exc:  # noqa: BLE001 - any start failure: logged, tried again forever
                log.warning("kafka: brokers not reachable (%s); retrying in %.1fs", type(exc).__name__, delay)
                with contextlib.suppress(Exception):
                    await producer.stop()
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)
                continue
            self._producer = producer
            self.starts += 1
            log.info("kafka: producer started")
        if self.settings.auto_create_topics and self.settings.global_enabled:
            await self.create_topics(self._global_topics())
        self._ready.set()

    def _global_topics(self) -> list[str]:
        wanted = self.settings.global_events
        return sorted({self.settings.global_topic(w) for w in ALL_WIRE_NAMES if subscription_key(w) in wanted})

    async def create_topics(self, names: list[str]) -> None:
        """Create the topics not known to exist yet (already there is fine; a failure is logged)."""
        missing = [name for name in names if name not in self._created]
        if not missing:
            return
        try:
            admin = AIOKafkaAdminClient(**self._client_options())
        except Exception as exc:  # noqa: BLE001 - as for the producer: said, and the sink goes on
            log.warning("kafka: could not create topics %s: %s", missing, type(exc).__name__)
            return
        try:
            await admin.start()
            topics = [
                NewTopic(name, self.settings.num_partitions, self.settings.replication_factor) for name in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(topics)
            self._created.update(missing)
        except KafkaError as exc:
            log.warning("kafka: could not create topics %s: %s", missing, exc)
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

    async def send(self, topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]) -> None:
        producer = self._producer
        if producer is None or not self._ready.is_set():
            raise KafkaUnavailable("producer not started")
        try:
            await asyncio.wait_for(
                producer.send_and_wait(topic, value, key=key, headers=headers),
                self.settings.request_timeout_ms / 1000 + 5,
            )
        except (MessageSizeTooLargeError, RecordListTooLargeError, InvalidTopicError) as exc:
            raise KafkaRefused(type(exc).__name__) from exc
        except UnknownTopicOrPartitionError as exc:
            if self.settings.auto_create_topics:
                await self.create_topics([topic])
            raise KafkaUnavailable(type(exc).__name__) from exc
        except (KafkaError, TimeoutError, OSError) as exc:
            raise KafkaUnavailable(type(exc).__name__) from exc
