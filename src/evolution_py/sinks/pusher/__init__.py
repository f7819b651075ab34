"""The Pusher sink: upstream's triggers (channel = instance, event = wire name) through Pusher's
signed REST API, per-instance apps and the PUSHER_GLOBAL_* app.

config.py (PUSHER_* → PusherSettings) · rows.py (the per-instance row) · models.py (its table) ·
signing.py (the REST call's signature) · sink.py (plan and trigger) · routes.py (`/pusher/set`,
`/pusher/find`) · testing.py (a Pusher REST fake that checks signatures).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.events.subscriptions import register_sink_table
from evolution_py.sinks.kind import SinkContext, SinkKind
from evolution_py.sinks.pusher.config import PusherSettings, load_pusher_settings
from evolution_py.sinks.pusher.models import Pusher
from evolution_py.sinks.pusher.rows import PusherConfig, pusher_row
from evolution_py.sinks.pusher.sink import PusherSink

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

register_sink_table("pusher", Pusher)


def _rows_from_create(settings: PusherSettings, req: CreateInstanceRequest) -> dict[str, Any] | None:
    # Upstream's create calls `pusher.set` whatever PUSHER_ENABLED says, with the same rules.
    if req.pusher is None:
        return None
    block = msgspec.structs.asdict(req.pusher)
    block["enabled"] = block["enabled"] is not False
    for name in ("appId", "key", "secret", "cluster"):
        block[name] = block[name] or ""
    block["useTLS"] = bool(block["useTLS"])
    return pusher_row(PusherConfig(**block))


def _build(settings: PusherSettings, context: SinkContext) -> PusherSink | None:
    return PusherSink(settings, context.subscriptions) if settings.enabled else None


def _routes() -> Sequence[ControllerRouterHandler]:
    from evolution_py.sinks.pusher.routes import ROUTES  # noqa: PLC0415  (see SinkKind.routes)

    return ROUTES


PUSHER: SinkKind[PusherSettings, PusherSink] = SinkKind(
    name="pusher",
    load_config=load_pusher_settings,
    rows_from_create=_rows_from_create,
    build=_build,
    routes=_routes,
)

__all__ = ["PUSHER", "PusherSettings", "PusherSink"]
