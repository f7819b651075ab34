"""The SQS sink: upstream's FIFO queues, per instance or global, with its message and group ids.

config.py (SQS_* → SqsSettings) · sink.py (plan and send) · queues.py (aiobotocore client, queues
created when missing) · routes.py (`/sqs/set`, `/sqs/find`) · testing.py (moto's SQS/S3 server and an
ordinary boto3 consumer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.sinks.event_rows import row_from_create_block
from evolution_py.sinks.kind import SinkContext, SinkKind
from evolution_py.sinks.sqs.config import SqsSettings, load_sqs_settings
from evolution_py.sinks.sqs.sink import SqsSink

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler


def _rows_from_create(settings: SqsSettings, req: CreateInstanceRequest) -> dict[str, Any] | None:
    return row_from_create_block("sqs", settings.enabled, req.sqs)


def _build(settings: SqsSettings, context: SinkContext) -> SqsSink | None:
    return SqsSink(settings, context.subscriptions, context.objects) if settings.enabled else None


def _routes() -> Sequence[ControllerRouterHandler]:
    from evolution_py.sinks.sqs.routes import ROUTES  # noqa: PLC0415  (see SinkKind.routes)

    return ROUTES


SQS: SinkKind[SqsSettings, SqsSink] = SinkKind(
    name="sqs",
    load_config=load_sqs_settings,
    rows_from_create=_rows_from_create,
    fetch_key="Sqs",
    build=_build,
    routes=_routes,
)

__all__ = ["SQS", "SqsSettings", "SqsSink"]
