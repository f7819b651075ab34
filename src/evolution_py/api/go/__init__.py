"""The Evolution Go dialect of instance management (seed 000), served beside the v2 routes.

`build_router()` gives one Litestar router whose errors answer Go's `{"error": ...}` (a new one per
app). Go's create shares `POST /instance/create` with v2 and is dispatched from `api/instance.py`.
"""

from __future__ import annotations

from litestar import Router

from evolution_py.api.go import admin, advanced, session
from evolution_py.api.go.envelope import EXCEPTION_HANDLERS


def build_router() -> Router:
    return Router(
        path="/",
        route_handlers=[*admin.ROUTES, *session.ROUTES, *advanced.ROUTES],
        exception_handlers=EXCEPTION_HANDLERS,
        tags=["Instance (Evolution Go)"],
    )
