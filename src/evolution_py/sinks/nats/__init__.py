"""The NATS sink: upstream's per-instance and global subjects, each publish confirmed by the server.

config.py (NATS_* → NatsSettings) · sink.py (plan and publish) · connection.py (one connection,
reconnecting forever; JetStream or plain publish) · routes.py (`/nats/set`, `/nats/find`) ·
testing.py (a real subscriber, a private nats-server behind a cuttable proxy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.sinks.event_rows import row_from_create_block
from evolution_py.sinks.kind import SinkContext, SinkKind
from evolution_py.sinks.nats.config import NatsSettings, load_nats_settings
from evolution_py.sinks.nats.sink import NatsSink

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler


def _rows_from_create(settings: NatsSettings, req: CreateInstanceRequest) -> dict[str, Any] | None:
    return row_from_create_block("nats", settings.enabled, req.nats)


def _build(settings: NatsSettings, context: SinkContext) -> NatsSink | None:
    return NatsSink(settings, context.subscriptions) if settings.enabled else None


def _routes() -> Sequence[ControllerRouterHandler]:
    from evolution_py.sinks.nats.routes import ROUTES  # noqa: PLC0415  (see SinkKind.routes)

    return ROUTES


NATS: SinkKind[NatsSettings, NatsSink] = SinkKind(
    name="nats",
    load_config=load_nats_settings,
    rows_from_create=_rows_from_create,
    fetch_key="Nats",
    build=_build,
    routes=_routes,
)

__all__ = ["NATS", "NatsSettings", "NatsSink"]
