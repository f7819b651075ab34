"""The Kafka sink: upstream's per-instance and global topics, keys, headers and value; acks=all.

config.py (KAFKA_* → KafkaSettings) · models.py (its table) · producer.py (one aiokafka producer,
started forever; topics created) · sink.py (plan and send) · routes.py (`/kafka/set`, `/kafka/find`)
· testing.py (a Kafka-protocol broker from PyPI and an ordinary aiokafka consumer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.events.subscriptions import register_sink_table
from evolution_py.sinks.event_rows import row_from_create_block
from evolution_py.sinks.kafka.config import KafkaSettings, load_kafka_settings
from evolution_py.sinks.kafka.models import Kafka
from evolution_py.sinks.kafka.sink import KafkaSink
from evolution_py.sinks.kind import SinkContext, SinkKind

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

register_sink_table("kafka", Kafka)


def _rows_from_create(settings: KafkaSettings, req: CreateInstanceRequest) -> dict[str, Any] | None:
    return row_from_create_block("kafka", settings.enabled, req.kafka)


def _build(settings: KafkaSettings, context: SinkContext) -> KafkaSink | None:
    return KafkaSink(settings, context.subscriptions) if settings.enabled else None


def _routes() -> Sequence[ControllerRouterHandler]:
    from evolution_py.sinks.kafka.routes import ROUTES  # noqa: PLC0415  (see SinkKind.routes)

    return ROUTES


KAFKA: SinkKind[KafkaSettings, KafkaSink] = SinkKind(
    name="kafka",
    load_config=load_kafka_settings,
    rows_from_create=_rows_from_create,
    build=_build,
    routes=_routes,
)

__all__ = ["KAFKA", "KafkaSettings", "KafkaSink"]
