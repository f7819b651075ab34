"""Inbound channel webhooks: `POST /webhook/evolution`.

Upstream lets anyone who knows an instance's `number` inject messages into it. Here the route
requires the target instance's token (or the global key) in `apikey` by default, so that nobody can
write into an instance they do not hold; `EVOLUTION_WEBHOOK_REQUIRE_APIKEY=false` restores upstream's
open route for senders that cannot send a header."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post

from evolution_py.api.auth import request_key, same_key
from evolution_py.api.validation import json_object
from evolution_py.config import Settings
from evolution_py.core.registry import InstanceRegistry
from evolution_py.errors import Unauthorized


@post("/webhook/evolution", status_code=200, tags=["Channels"], summary="Inbound EVOLUTION channel message")
async def evolution_webhook(
    request: Request[Any, Any, Any], registry: InstanceRegistry, config: Settings
) -> Response[Any]:
    body = await json_object(request)
    number_id = body.get("numberId")
    target = None
    if isinstance(number_id, str) and number_id:
        target = next((i for i in registry.all() if i.integration == "EVOLUTION" and i.number == number_id), None)
    if config.evolution_webhook_require_apikey:
        key = request_key(request)
        # Without the key, a known and an unknown number answer alike (no way to probe numbers).
        if not (same_key(key, config.api_key) or (target is not None and same_key(key, target.token))):
            raise Unauthorized()
    if target is None:
        # Upstream answers an empty 200 when numberId is missing or matches no instance.
        return Response(b"", status_code=200, media_type="application/json")
    await target.channel.inbound.receive(body)
    return Response({"status": "success"}, status_code=200)


ROUTES = [evolution_webhook]
