"""The webhook sink: upstream's per-instance and global HTTP POST delivery, durable and bounded.

config.py (WEBHOOK_* → WebhookConfig) · sink.py (plan and post) · rows.py (the Webhook row) ·
routes.py (`/webhook/set`, `/webhook/find`) · guard.py, signing.py · testing.py (a real receiver).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.sinks.kind import SinkContext, SinkKind
from evolution_py.sinks.webhook.config import WebhookConfig
from evolution_py.sinks.webhook.guard import check_webhook_url
from evolution_py.sinks.webhook.rows import row_from_create
from evolution_py.sinks.webhook.sink import WebhookSink

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler


def _build(config: WebhookConfig, context: SinkContext) -> WebhookSink:
    return WebhookSink(config, context.subscriptions)  # always on: the global url and per-instance rows


async def _check_create(config: WebhookConfig, req: CreateInstanceRequest) -> None:
    if req.webhook is not None and req.webhook.url:
        await check_webhook_url(config, req.webhook.url)


def _routes() -> Sequence[ControllerRouterHandler]:
    from evolution_py.sinks.webhook.routes import ROUTES  # noqa: PLC0415  (see SinkKind.routes)

    return ROUTES


WEBHOOK: SinkKind[WebhookConfig, WebhookSink] = SinkKind(
    name="webhook",
    load_config=WebhookConfig.from_env,
    rows_from_create=row_from_create,
    check_create=_check_create,
    build=_build,
    routes=_routes,
)

__all__ = ["WEBHOOK", "WebhookConfig", "WebhookSink"]
