"""`/kafka` router: per-instance Kafka subscription (gated by KAFKA_ENABLED, as upstream)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.services import Services
from evolution_py.sinks.event_rows import EventsConfig
from evolution_py.sinks.kafka import KAFKA
from evolution_py.sinks.shared_routes import empty, find_row, set_row


class KafkaBody(msgspec.Struct, kw_only=True):
    kafka: EventsConfig


def _enabled(services: Services) -> bool:
    return KAFKA.config(services.settings.env).enabled


@post("/kafka/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["Kafka"])
async def set_kafka(services: Services, instanceName: str, data: KafkaBody) -> Response[Any]:
    if not _enabled(services):
        return empty(201)
    return Response(await set_row(services, "kafka", instanceName, data.kafka), status_code=201)


@get("/kafka/find/{instanceName:str}", guards=[instance_guard], tags=["Kafka"])
async def find_kafka(services: Services, instanceName: str) -> Response[Any]:
    if not _enabled(services):
        return empty(200)
    return Response(await find_row(services, "kafka", instanceName), status_code=200)


ROUTES = [set_kafka, find_kafka]
