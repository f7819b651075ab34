"""Inbound channel webhooks: `POST /webhook/evolution`, and Meta's `GET|POST /webhook/meta`.

Upstream lets anyone who knows an instance's `number` inject messages into it. Here the route
requires the target instance's token (or the global key) in `apikey` by default, so that nobody can
write into an instance they do not hold; `EVOLUTION_WEBHOOK_REQUIRE_APIKEY=false` restores upstream's
open route for senders that cannot send a header."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get, post

from evolution_py.api.auth import request_key, same_key
from evolution_py.api.validation import json_object
from evolution_py.channels.cloud_api.config import load_config
from evolution_py.channels.cloud_api.webhook import (
    TEMPLATE_STATUS,
    changes,
    forward_template_status,
    phone_number_id,
    signature_ok,
)
from evolution_py.config import Settings
from evolution_py.errors import Unauthorized
from evolution_py.services import Services, services_of


@post("/webhook/evolution", status_code=200, tags=["Channels"], summary="Inbound EVOLUTION channel message")
async def evolution_webhook(request: Request[Any, Any, Any]) -> Response[Any]:
    # The registry and settings from the app state, not injected: two injected values make Litestar
    # resolve them in an anyio task group per request (~6 % of this route's CPU under load).
    services = services_of(request)
    registry, config = services.registry, services.settings
    body = await json_object(request)
    number_id = body.get("numberId")
    target = None
    if isinstance(number_id, str) and number_id:
        target = next((i for i in registry.with_number(number_id) if i.integration == "EVOLUTION"), None)
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


@get(
    "/webhook/meta", media_type=MediaType.HTML, status_code=200, tags=["Channels"], summary="Meta webhook verification"
)
async def meta_webhook_verify(request: Request[Any, Any, Any], config: Settings) -> str:
    """Meta's subscription handshake: the challenge back when the verify token is ours (upstream's texts)."""
    token = request.query_params.get("hub.verify_token")
    if token is not None and same_key(token, load_config(config).verify_token):
        return str(request.query_params.get("hub.challenge") or "")
    return "Error, wrong validation token"


@post("/webhook/meta", status_code=200, tags=["Channels"], summary="Inbound Meta Cloud API webhook")
async def meta_webhook(request: Request[Any, Any, Any], services: Services) -> Response[Any]:
    """Each change goes to the WHATSAPP-BUSINESS instance whose `number` is its phone-number id; a
    template status change to the template's `webhookUrl`. Signed with WA_BUSINESS_APP_SECRET when set.
    Handled before answering: a failure answers 5xx and Meta delivers again (duplicates are dropped)."""
    config = load_config(services.settings)
    raw = await request.body()
    if config.app_secret and not signature_ok(config.app_secret, raw, request.headers.get("x-hub-signature-256")):
        raise Unauthorized()
    body = await json_object(request)
    template_update = False
    for field, value in changes(body):
        if field == TEMPLATE_STATUS:
            template_update = True
            await forward_template_status(services.db, services.outbound, value)
            continue
        number_id = phone_number_id(value)
        target = next(
            (
                runtime
                for runtime in services.registry.with_number(number_id or "")
                if _meta_kind(services, runtime.integration)
            ),
            None,
        )
        if target is not None:
            await target.channel.inbound.receive(value)
    if template_update:
        return Response(b"", status_code=200, media_type=MediaType.JSON)  # upstream answers nothing here
    return Response({"status": "success"}, status_code=200)


def _meta_kind(services: Services, integration: str) -> bool:
    kind = services.kinds.get(integration)
    return kind is not None and kind.meta_webhook


ROUTES = [evolution_webhook, meta_webhook_verify, meta_webhook]
