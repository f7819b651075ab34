"""A Kafka setting no start can get past (a malformed TLS certificate) is said in the log and the
producer keeps trying; before, its supervisor ended without a word and every delivery failed with
"Kafka is not connected"."""

from __future__ import annotations

import asyncio

import pytest

from evolution_py.sinks.kafka.config import KafkaSettings
from evolution_py.sinks.kafka.producer import KafkaProducer


async def test_a_malformed_certificate_is_logged_and_the_supervisor_keeps_trying(
    caplog: pytest.LogCaptureFixture,
) -> None:
    producer = KafkaProducer(KafkaSettings(enabled=True, ssl_enabled=True, ssl_ca="not a PEM certificate"))
    await producer.start()
    try:
        for _ in range(100):
            if "kafka: the producer cannot be set up" in caplog.text:
                break
            await asyncio.sleep(0.02)
        assert "kafka: the producer cannot be set up" in caplog.text
        assert "KAFKA_SSL_*" in caplog.text
        assert producer._supervisor is not None and not producer._supervisor.done()  # still trying
        assert not await producer.wait_ready(0.1)
    finally:
        await producer.stop()
