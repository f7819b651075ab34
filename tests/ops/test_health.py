"""`GET /health` (liveness) and `GET /health/ready` (the database, and Redis / RabbitMQ when on)."""

from __future__ import annotations

from typing import Any

import pytest

from evolution_py.events.event import Event
from evolution_py.ops import metrics
from tests.support.server import RunningServer, free_port


async def test_liveness_and_readiness_with_the_database(server: RunningServer) -> None:
    alive = await server.client.get("/health")
    assert alive.status_code == 200 and alive.json()["status"] == "ok"
    ready = await server.client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready" and ready.json()["checks"]["database"]["status"] == "up"
    assert set(ready.json()["checks"]) == {"database"}  # RabbitMQ and Redis are off


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_readiness_reports_redis_up_and_down(server_factory: Any) -> None:
    async with server_factory(CACHE_REDIS_ENABLED="true", CACHE_REDIS_URI="redis://127.0.0.1:6379/6") as srv:
        ready = await srv.client.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["checks"]["redis"]["status"] == "up"
    nowhere = f"redis://127.0.0.1:{free_port()}"
    async with server_factory(CACHE_REDIS_ENABLED="true", CACHE_REDIS_URI=nowhere) as srv:
        down = await srv.client.get("/health/ready")
        assert down.status_code == 503 and down.json()["status"] == "unavailable"
        assert down.json()["checks"]["redis"]["status"] == "down" and down.json()["checks"]["redis"]["error"]
        assert (await srv.client.get("/health")).status_code == 200  # alive all the same


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_readiness_reports_rabbitmq_down(server_factory: Any) -> None:
    nowhere = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    async with server_factory(RABBITMQ_ENABLED="true", RABBITMQ_URI=nowhere) as srv:
        down = await srv.client.get("/health/ready")
        assert down.status_code == 503
        assert down.json()["checks"]["rabbitmq"] == {
            "status": "down",
            "error": "ConnectionError: RabbitMQ is not connected",
        }


def test_reconnects_count_an_instance_back_to_open() -> None:
    metrics.watch_instances(tuple, lambda _id: "WHATSAPP-BAILEYS", version="2.3.6", client_name="c", server_url="")

    def update(state: str) -> None:
        metrics.event_published(
            Event(event="connection.update", instance="n", instance_id="id-1", data={"state": state})
        )

    before = metrics.RECONNECTS.counts.get(("WHATSAPP-BAILEYS",), 0)
    for state in ("connecting", "open", "open", "close", "connecting", "open", "open", "connecting", "open"):
        update(state)  # open, twice back to open after a drop; a repeated open is no reconnect
    assert metrics.RECONNECTS.counts[("WHATSAPP-BAILEYS",)] - before == 2
    metrics.event_published(Event(event="remove.instance", instance="n", instance_id="id-1", data={}))
    update("close")
    update("open")  # a new life: its first open is no reconnect
    assert metrics.RECONNECTS.counts[("WHATSAPP-BAILEYS",)] - before == 2
