"""The Evolution Go dialect of instance management (seed 000), served beside the v2 routes.

`build_router()` gives one Litestar router whose errors answer Go's `{"error": ...}` (a new one per
app); `install(services)` hooks the Go create into the shared `POST /instance/create`.
"""

from __future__ import annotations

from litestar import Router

from evolution_py.api.go import admin, advanced, session
from evolution_py.api.go.envelope import EXCEPTION_HANDLERS
from evolution_py.services import Services


def build_router() -> Router:
    return Router(
        path="/",
        route_handlers=[*admin.ROUTES, *session.ROUTES, *advanced.ROUTES],
        exception_handlers=EXCEPTION_HANDLERS,
        tags=["Instance (Evolution Go)"],
    )


def install(services: Services) -> None:
    services.go_create = admin.go_create
