"""v2 `POST /instance/create`: upstream's checks on the body, in upstream's order and words, then the
answer built from the service's `Created` (the shape upstream's controller returns)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from evolution_py.channels.base import InstanceSettings, ProxyConfig
from evolution_py.config import Settings
from evolution_py.core.identity import IdentityProblem, name_problem, token_problem
from evolution_py.core.instances import InstanceService
from evolution_py.core.results import Created, NewInstance
from evolution_py.dto import drop_none
from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.errors import BadRequest
from evolution_py.integrations.chatwoot import create as chatwoot_create
from evolution_py.sinks.registry import sink_rows_from_create

_NAME_TEXTS = {
    IdentityProblem.NAME_MISSING: 'instance requires property "instanceName"',
    IdentityProblem.NAME_INVALID: "instanceName must be at most 255 characters and cannot contain '/'",
    IdentityProblem.NAME_UNSAFE: "instanceName cannot contain control characters (NUL, CR, LF, ...) or be '.' or '..'",
    IdentityProblem.TOKEN_TOO_LONG: "token must be at most 255 characters",
    IdentityProblem.TOKEN_UNSAFE: "token cannot contain control characters (NUL, CR, LF, ...)",
}


async def create_v2(
    instances: InstanceService, config: Settings, req: CreateInstanceRequest, integrations: Sequence[Any] = ()
) -> dict[str, Any]:
    created = await instances.create(await new_instance(instances, config, req))
    body = created_body(config, req, created)
    if chatwoot_create.wanted(req):
        await chatwoot_create.apply(integrations, req, config.server_url, created.runtime)
        body["chatwoot"] = chatwoot_create.echo(req, config.server_url, created.runtime)
    return body


async def new_instance(instances: InstanceService, config: Settings, req: CreateInstanceRequest) -> NewInstance:
    if problem := name_problem(req.instanceName):
        raise BadRequest(_NAME_TEXTS[problem])
    if req.token and (problem := token_problem(req.token)):
        raise BadRequest(_NAME_TEXTS[problem])
    name = req.instanceName or ""
    integration = req.integration or ""
    kind = instances.kinds.get(integration)
    if kind is None:
        raise BadRequest("Invalid integration")
    if problem_text := kind.create_problem(token=req.token, number=req.number):
        raise BadRequest(problem_text)
    if chatwoot_create.wanted(req) and (problem_text := chatwoot_create.create_problem(config, req)):
        raise BadRequest(problem_text)
    settings = InstanceSettings(
        rejectCall=req.rejectCall is True,
        msgCall=req.msgCall or "",
        groupsIgnore=req.groupsIgnore is True,
        alwaysOnline=req.alwaysOnline is True,
        readMessages=req.readMessages is True,
        readStatus=req.readStatus is True,
        syncFullHistory=req.syncFullHistory is True,
        wavoipToken=req.wavoipToken or "",
    )
    proxy = ProxyConfig()
    if req.proxyHost and req.proxyPort and req.proxyProtocol:
        proxy = ProxyConfig(
            enabled=True,
            host=req.proxyHost,
            port=str(req.proxyPort),
            protocol=req.proxyProtocol,
            username=req.proxyUsername or "",
            password=req.proxyPassword or "",
        )
    sinks = await sink_rows_from_create(config, req)
    return NewInstance(
        name=name,
        integration=integration,
        token=req.token or str(uuid.uuid4()).upper(),
        instance_id=str(uuid.uuid4()),
        settings=settings,
        proxy=proxy,
        sinks=sinks,
        number=req.number,
        business_id=req.businessId,
        connect=req.qrcode is True and not chatwoot_create.wanted(req),  # upstream: no QR with Chatwoot
    )


def created_body(config: Settings, req: CreateInstanceRequest, created: Created) -> dict[str, Any]:
    runtime, meta = created.runtime, created.kind.meta_webhook
    body: dict[str, Any] = {
        "instance": {
            "instanceName": runtime.name,
            "instanceId": runtime.id,
            "integration": created.kind.integration,
            "webhookWaBusiness": f"{config.server_url}/webhook/meta" if meta else None,
            "accessTokenWaBusiness": config.env.text("WA_BUSINESS_TOKEN_WEBHOOK", "evolution") if meta else "",
            "status": created.status,
        },
        "hash": created.token,
        "webhook": drop_none(
            {
                "webhookUrl": req.webhook.url,
                "webhookHeaders": req.webhook.headers,
                "webhookByEvents": req.webhook.byEvents,
                "webhookBase64": req.webhook.base64,
            }
        )
        if req.webhook
        else {},
        "websocket": drop_none({"enabled": req.websocket.enabled}) if req.websocket else {},
        "rabbitmq": drop_none({"enabled": req.rabbitmq.enabled}) if req.rabbitmq else {},
        "nats": drop_none({"enabled": req.nats.enabled}) if req.nats else {},
        "sqs": drop_none({"enabled": req.sqs.enabled}) if req.sqs else {},
        "settings": msgspec.to_builtins(created.settings),
    }
    if created.qrcode is not None:
        body["qrcode"] = msgspec.to_builtins(created.qrcode)
    return body
