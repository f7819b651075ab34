"""Go's `POST /instance/create` (a body with `name`): shared with v2 at one path, so `api/instance.py`
dispatches here. Go's checks and words, the shared identity rules, Go's answer."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response

from evolution_py.api.go.advanced import merge_settings
from evolution_py.api.go.auth import require_global_key
from evolution_py.api.go.envelope import GoError, as_go_response, optional_string, required_string, success
from evolution_py.api.go.proxy import proxy_config
from evolution_py.api.go.records import iso
from evolution_py.api.go.subscriptions import parse_events, parse_url
from evolution_py.channels.base import InstanceSettings, ProxyConfig
from evolution_py.core.identity import IdentityProblem, instance_id_problem, name_problem, token_problem
from evolution_py.core.instances import InstanceService
from evolution_py.core.results import NewInstance

GO_INTEGRATION = "WHATSAPP-BAILEYS"  # a Go instance is a WhatsApp Web session

_IDENTITY_TEXTS = {
    IdentityProblem.NAME_MISSING: "name is required",
    IdentityProblem.NAME_INVALID: "name must be at most 255 characters and cannot contain '/'",
    IdentityProblem.NAME_UNSAFE: "name cannot contain control characters (NUL, CR, LF, ...) or be '.' or '..'",
    IdentityProblem.TOKEN_TOO_LONG: "token must be at most 255 characters",
    IdentityProblem.TOKEN_UNSAFE: "token cannot contain control characters (NUL, CR, LF, ...)",
    IdentityProblem.INSTANCE_ID_INVALID: "instanceId must be at most 100 characters and cannot contain '/'",
    IdentityProblem.INSTANCE_ID_UNSAFE: (
        "instanceId cannot contain control characters (NUL, CR, LF, ...) or be '.' or '..'"
    ),
}


async def go_create(request: Request[Any, Any, Any], body: dict[str, Any], instances: InstanceService) -> Response[Any]:
    try:
        return await _create(request, body, instances)
    except Exception as exc:  # noqa: BLE001 - every failure, bugs included, answered in the Go envelope
        return as_go_response(exc, request)


async def _create(request: Request[Any, Any, Any], body: dict[str, Any], instances: InstanceService) -> Response[Any]:
    require_global_key(request)
    name = required_string(body, "name")
    _check(name_problem(name))
    token = required_string(body, "token")
    _check(token_problem(token))
    instance_id = optional_string(body, "instanceId") or str(uuid.uuid4())
    _check(instance_id_problem(instance_id))
    webhook = parse_url(body, "webhook")
    events = parse_events(body, "webhookEvents")
    proxy = proxy_config(body["proxy"], "proxy.") if body.get("proxy") is not None else ProxyConfig()
    settings = _create_settings(body.get("advancedSettings"))
    if not instances.kinds.serves(GO_INTEGRATION):
        raise GoError("WhatsApp Web instances are not available on this server yet", 501)
    if await instances.exists(name):
        raise GoError("instance already exists", 409)

    sinks: dict[str, dict[str, Any]] = {}
    if webhook is not None or events is not None:
        keys = events if events is not None else ["MESSAGES_UPSERT"]
        sinks["webhook"] = {"url": webhook or "", "enabled": bool(webhook), "events": keys}
    created = await instances.create(
        NewInstance(
            name=name,
            integration=GO_INTEGRATION,
            token=token,
            instance_id=instance_id,
            settings=settings,
            proxy=proxy,
            sinks=sinks,
            unique_token=True,  # token routes find the instance by token alone
        )
    )
    runtime = created.runtime
    data = {
        "id": runtime.id,
        "name": runtime.name,
        "token": token,
        "webhook": webhook or "",
        "status": "created",
        "createdAt": iso(runtime.created_at),
    }
    return Response(success(data), status_code=200)


def _check(problem: IdentityProblem | None) -> None:
    if problem is not None:
        raise GoError(_IDENTITY_TEXTS[problem])


def _create_settings(value: Any) -> InstanceSettings:
    if value is None:
        return InstanceSettings()
    if not isinstance(value, dict):
        raise GoError("advancedSettings must be an object")
    return merge_settings(InstanceSettings(), value)
