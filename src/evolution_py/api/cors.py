"""CORS only for requests that carry an `Origin` header (issue 18).

Litestar's CORS middleware builds the request's `Headers` object to look for `Origin` on every
request and, when there is none, hands the request on unchanged. Server-to-server API calls (the
usual client of this API) send no Origin, and our guard reads `apikey` from the raw ASGI headers, so
on those requests the header object was built for nothing (~13 µs of ~190 µs per request in a py-spy
profile of connectionState under wrk). `skip_cors_without_origin` puts a raw-header scan in front:
no Origin, straight to what the CORS middleware wraps; an Origin, through the CORS middleware as
before (preflights, allowed origins, Vary: all Litestar's).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.middleware.cors import CORSMiddleware


class _OriginOnlyCors:
    __slots__ = ("cors", "inner")

    def __init__(self, cors: Any) -> None:
        self.cors = cors
        self.inner = cors.app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        for name, _value in scope["headers"]:
            if len(name) == 6 and name.lower() == b"origin":
                await self.cors(scope, receive, send)
                return
        await self.inner(scope, receive, send)


def skip_cors_without_origin(app: Litestar) -> bool:
    """Wrap the app's CORS middleware (when `cors_config` put one outermost); True if it did."""
    handler = app.asgi_handler
    if not isinstance(handler, CORSMiddleware):
        return False
    app.asgi_handler = _OriginOnlyCors(handler)
    return True
