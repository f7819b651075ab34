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
        if route.path.startswith(("/schema", "/docs", "/manager")) or isinstance(route, WebSocketRoute):
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


async def test_docs_work_offline_with_the_apikey_scheme_and_true_errors(server: RunningServer) -> None:
    """Swagger UI's files come from this server (no CDN), Authorize knows the `apikey` header, and
    errors are documented as the envelope the routes really answer."""
    page = await server.client.get("/docs", follow_redirects=True)
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
    for source in sources:
        asset = await server.client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 100, source
    bundle = await server.client.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text[:2_000_000]

    schema = (await server.client.get("/schema/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["apikey"] == {
        "type": "apiKey",
        "name": "apikey",
        "in": "header",
        "description": "The global key (AUTHENTICATION_API_KEY) or an instance's token",
    }
    assert schema["security"] == [{"apikey": []}]
    create = schema["components"]["schemas"]["CreateInstanceRequest"]
    assert create["required"] == ["instanceName", "integration"]
    assert {"WHATSAPP-BAILEYS", "WHATSAPP-BUSINESS", "EVOLUTION"} <= set(create["properties"]["integration"]["enum"])

    envelope = schema["components"]["schemas"]["ErrorResponse"]
    assert envelope["required"] == ["status", "error", "response"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            errors = [status for status in operation["responses"] if status[0] in "45"]
            assert errors == [], (method, path, errors)  # Litestar's own 400 shape is gone
            default = operation["responses"]["default"]["content"]["application/json"]["schema"]
            assert "ErrorResponse" in str(default) or "GoErrorResponse" in str(default), (method, path)
    go_info = schema["paths"]["/instance/info/{instanceId}"]["get"]["responses"]["default"]
    assert go_info["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/GoErrorResponse"}

    # What the schema promises, the routes answer: a v2 and a Go failure.
    missing = await server.client.get("/instance/connectionState/nobody", headers=server.headers())
    assert missing.status_code == 404 and set(missing.json()) == {"status", "error", "response"}
    go_missing = await server.client.get("/instance/info/nobody", headers=server.headers())
    assert go_missing.status_code in (401, 404) and set(go_missing.json()) == {"error"}
