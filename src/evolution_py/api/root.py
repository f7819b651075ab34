"""Root routes: the status document and `POST /verify-creds`."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post

from evolution_py import UPSTREAM_VERSION, __version__
from evolution_py.api.auth import global_guard
from evolution_py.config import Settings


@get("/", tags=["Root"], summary="Status document")
async def status_document(request: Request[Any, Any, Any], config: Settings) -> dict[str, Any]:
    return {
        "status": 200,
        "message": "Welcome to the Evolution API, it is working!",
        "version": UPSTREAM_VERSION,
        "clientName": config.client_name,
        **_manager_link(request, config),
        "documentation": f"{config.server_url or str(request.base_url).rstrip('/')}/docs",
        "server": "evolution-py",
        "serverVersion": __version__,
    }


def _manager_link(request: Request[Any, Any, Any], config: Settings) -> dict[str, str]:
    """Upstream's `manager` field (left out when SERVER_DISABLE_MANAGER=true): our /manager page."""
    if config.env.flag("SERVER_DISABLE_MANAGER"):
        return {}
    return {"manager": f"{config.server_url or str(request.base_url).rstrip('/')}/manager"}


@post("/verify-creds", guards=[global_guard], status_code=200, tags=["Root"])
async def verify_creds(config: Settings) -> dict[str, Any]:
    env = config.env
    body: dict[str, Any] = {"status": 200, "message": "Credentials are valid"}
    for key, var in (
        ("facebookAppId", "FACEBOOK_APP_ID"),
        ("facebookConfigId", "FACEBOOK_CONFIG_ID"),
        ("facebookUserToken", "FACEBOOK_USER_TOKEN"),
    ):
        if env.text(var):
            body[key] = env.text(var)
    return body


ROUTES = [status_document, verify_creds]
