"""`/manager`: the web manager, three static files of the package (`evolution_py/manager/`) served by
the server itself (no CDN, no build step). Off with SERVER_DISABLE_MANAGER=true, as upstream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.response import Response

from evolution_py.config import Settings

ASSETS = Path(__file__).resolve().parent.parent / "manager"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
# Only these names are served: a path from the request never reaches the file system.
_FILES = {path.name: path for path in ASSETS.iterdir() if path.suffix in _TYPES} if ASSETS.is_dir() else {}
# The page loads only its own files; the event stream is a websocket to this server.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def _file(name: str) -> Response[bytes]:
    path = _FILES.get(name)
    if path is None:
        raise NotFoundException(f"Cannot GET /manager/{name}")
    return Response(path.read_bytes(), media_type=_TYPES[path.suffix], headers=_HEADERS)


@get(["/manager", "/manager/"], include_in_schema=False)
async def manager_page() -> Response[bytes]:
    return _file("index.html")


@get("/manager/{name:str}", include_in_schema=False)
async def manager_file(name: str) -> Response[bytes]:
    return _file(name if name in _FILES else "index.html")


def routes(settings: Settings) -> list[Any]:
    return [] if settings.env.flag("SERVER_DISABLE_MANAGER") else [manager_page, manager_file]
