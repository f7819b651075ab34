"""Inbound channel webhooks: `POST /webhook/evolution` (no auth, as upstream)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post

from evolution_py.api.validation import json_object
from evolution_py.services import services_of


@post("/webhook/evolution", status_code=200, tags=["Channels"], summary="Inbound EVOLUTION channel message")
async def evolution_webhook(request: Request[Any, Any, Any]) -> Response[Any]:
    body = await json_object(request)
    number_id = body.get("numberId")
    manager = services_of(request).manager
    target = None
    if isinstance(number_id, str) and number_id:
        target = next(
            (i for i in manager.instances.values() if i.integration == "EVOLUTION" and i.number == number_id), None
        )
    if target is None:
        # Upstream answers an empty 200 when numberId is missing or matches no instance.
        return Response(b"", status_code=200, media_type="application/json")
    await target.channel.receive(body)
    return Response({"status": "success"}, status_code=200)


ROUTES = [evolution_webhook]
