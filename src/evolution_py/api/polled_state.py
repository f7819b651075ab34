"""`GET /instance/connectionState/{name}` answered in front of Litestar (issue 18).

connectionState is the route clients poll: dashboards, n8n nodes and Evolution's own manager ask it
every few seconds for every instance. Its answer is one in-memory read, yet through Litestar's
per-request machinery (routing, the request object, middleware, guards, signature parsing, response
building) it took 89–92 µs of server CPU per answer on the 2-core test box, against 35–38 µs when
answered here; an ablation that removed our own layers (metrics, backpressure, the guard) had left
the Litestar route at 0.82 of a bare Litestar route (bench/RESULTS.md).

`PolledState` answers only the plain, successful case by itself, with the bytes Litestar would send:
- a GET for either path form (`/instance/connectionState/{name}`, seed 001's
  `/{name}/instance/connectionState`) with a path Litestar would not rewrite (no trailing or double
  slash, no root path) and a valid Host header;
- no `Origin` header (a browser request goes through the CORS middleware as before);
- a loaded instance and an `apikey` that is the global key or that instance's own token, compared
  in constant time by `instance_guard`'s own rule (`auth.key_opens`).
Everything else (an unknown or unloaded instance, a missing or wrong key, HEAD, OPTIONS) goes to
Litestar unchanged, so every error keeps its envelope, status and headers from one place.

It sits inside the metrics wrapper (the answer is counted under the same route template) and outside
backpressure: an answer that never waits costs less than a refusal, like /health.
tests/api/test_polled_state.py compares its answers with Litestar's, byte for byte.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar._asgi.utils import is_valid_host

from evolution_py.api.auth import key_opens
from evolution_py.dto.instance import ConnectionStateBody, ConnectionStateResponse
from evolution_py.services import Services
from evolution_py.sinks.kind import AsgiApp

# The route templates Litestar puts in `scope["path_template"]` for the two forms (ops/metrics.py
# labels requests with them).
PREFIX_TEMPLATE = "/instance/connectionState/{instanceName:str}"
SUFFIX_TEMPLATE = "/{instanceName:str}/instance/connectionState"
_PREFIX = "/instance/connectionState/"
_SUFFIX = "/instance/connectionState"
_HEADERS_BASE = [(b"content-type", b"application/json")]


def polled_name(path: str) -> tuple[str, str] | None:
    """(instance name, route template) when `path` is one of the two forms as Litestar would route it."""
    if path.startswith(_PREFIX):
        name = path[len(_PREFIX) :]
        template = PREFIX_TEMPLATE
    elif path.endswith(_SUFFIX) and path.count("/") == 3:
        name = path[1 : -len(_SUFFIX)]
        template = SUFFIX_TEMPLATE
    else:
        return None
    if not name or "/" in name:
        return None
    return name, template


class PolledState:
    __slots__ = ("app", "encode", "services")

    def __init__(self, app: AsgiApp, services: Services) -> None:
        self.app = app
        self.services = services
        self.encode = msgspec.json.Encoder().encode

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            found = polled_name(scope["path"])
            if found is not None:
                body = self._answer(scope, found[0])
                if body is not None:
                    scope["path_template"] = found[1]
                    headers = [*_HEADERS_BASE, (b"content-length", str(len(body)).encode())]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": body, "more_body": False})
                    return
        await self.app(scope, receive, send)

    def _answer(self, scope: dict[str, Any], name: str) -> bytes | None:
        """The answer's body, or None to leave the request to Litestar."""
        key: str | None = None
        for header, value in scope["headers"]:
            length = len(header)
            if length == 6:
                lowered = header.lower()
                if lowered == b"origin":
                    return None
                if lowered == b"apikey" and key is None:  # the first one, as `request_key` reads
                    key = value.decode("latin-1").strip()
            elif length == 4 and header.lower() == b"host" and not is_valid_host(value):
                return None
        if not key:
            return None
        runtime = self.services.registry.get(name)
        if runtime is None or not key_opens(key, self.services.settings.api_key, runtime.token):
            return None
        state = runtime.channel.state
        return self.encode(ConnectionStateResponse(instance=ConnectionStateBody(instanceName=name, state=state)))
