"""The RabbitMQ sink: upstream's per-instance and global exchanges and quorum queues, with confirms.

config.py (RABBITMQ_* → RabbitSettings) · sink.py (plan and publish) · connection.py (one connection,
reconnecting forever) · routes.py (`/rabbitmq/set`, `/rabbitmq/find`) · testing.py (a real consumer,
a cuttable TCP proxy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.sinks.event_rows import row_from_create_block
from evolution_py.sinks.kind import SinkContext, SinkKind
from evolution_py.sinks.rabbitmq.config import RabbitSettings, load_rabbitmq_settings
from evolution_py.sinks.rabbitmq.sink import RabbitMQSink

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler


def _rows_from_create(settings: RabbitSettings, req: CreateInstanceRequest) -> dict[str, Any] | None:
    return row_from_create_block("rabbitmq", settings.enabled, req.rabbitmq)


def _build(settings: RabbitSettings, context: SinkContext) -> RabbitMQSink | None:
    return RabbitMQSink(settings, context.subscriptions) if settings.enabled else None


def _routes() -> Sequence[ControllerRouterHandler]:
    from evolution_py.sinks.rabbitmq.routes import ROUTES  # noqa: PLC0415  (see SinkKind.routes)

    return ROUTES


RABBITMQ: SinkKind[RabbitSettings, RabbitMQSink] = SinkKind(
    name="rabbitmq",
    load_config=load_rabbitmq_settings,
    rows_from_create=_rows_from_create,
    fetch_key="Rabbitmq",
    build=_build,
    routes=_routes,
)

__all__ = ["RABBITMQ", "RabbitMQSink", "RabbitSettings"]
