"""The OpenAPI schema and Swagger UI describe every route with its request model."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.routes import WebSocketRoute

from tests.support.server import RunningServer


async def test_schema_lists_every_route_with_bodies(server: RunningServer) -> None:
    response = await server.client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    app = server.services.app
    assert isinstance(app, Litestar)
    for route in app.routes:
        if route.path.startswith(("/schema", "/manager")) or route.path == "/docs" or isinstance(route, WebSocketRoute):
            continue  # OpenAPI describes the HTTP API only; /ws and the manager's page are in docs/
        assert re.sub(r":\w+}", "}", route.path) in paths, route.path
    injected = {"services", "config", "registry", "instances", "report", "messaging", "logbook", "subscriptions"}
    for path, methods in paths.items():
        for method, operation in methods.items():
            # Dependency-injected services are not request parameters.
            assert not injected & {p["name"] for p in operation.get("parameters", [])}, (method, path)
            if method == "post" and "instanceName" in path and "restart" not in path:
                assert "requestBody" in operation, (method, path)
    assert "CreateInstanceRequest" in schema["components"]["schemas"]
    assert "SendText" in schema["components"]["schemas"]
    docs = await server.client.get("/docs", follow_redirects=True)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
