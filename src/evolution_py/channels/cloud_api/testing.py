"""Test helper: a fake of Meta's Graph API on 127.0.0.1 (`async with FakeGraph(token=...) as graph:`,
then `WA_BUSINESS_URL=graph.url`). It checks every request the way Meta documents it (the version
segment, the bearer token, the JSON body of each message type, the multipart upload) and answers
Meta-shaped bodies; a request that breaks a rule is answered Meta's 400 (code 100) and listed in
`problems`. `fail_next(...)` scripts Meta's errors (a 429, a 5xx, the 24-hour window's 131047)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MESSAGE_TYPES = {"text", "image", "video", "audio", "document", "sticker", "location", "contacts", "reaction"}
MESSAGE_TYPES |= {"interactive", "template"}
MEDIA_TYPES = {"image", "video", "audio", "document", "sticker"}

WINDOW_CLOSED = {
    "message": "(#131047) Re-engagement message",
    "type": "OAuthException",
    "code": 131047,
    "error_data": {
        "messaging_product": "whatsapp",
        "details": "Message failed to send because more than 24 hours have passed since the customer last "
        "replied to this number.",
    },
    "fbtrace_id": "A7gWnKxQ1pLrT0v9",
}
RATE_LIMITED = {
    "message": "(#130429) Rate limit hit",
    "type": "OAuthException",
    "code": 130429,
    "error_data": {"messaging_product": "whatsapp", "details": "Cloud API message throughput has been reached."},
    "fbtrace_id": "B1x2y3z4",
}
SERVER_ERROR = {"message": "An unknown error occurred", "type": "OAuthException", "code": 1, "fbtrace_id": "C9"}


@dataclass
class Call:
    method: str
    path: str  # without the version segment: `/<phone-number-id>/messages`
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, Any] = field(default_factory=dict)  # multipart fields; the file as (name, type, bytes)


@dataclass
class Failure:
    path_suffix: str
    status: int
    error: dict[str, Any]
    times: int
    retry_after: str | None = None


class FakeGraph:
    def __init__(
        self,
        *,
        token: str,
        version: str = "v18.0",
        phone_number_id: str = "106540352242922",
        business_id: str = "102290129340398",
        display_phone_number: str = "+1 555-010-0999",
    ) -> None:
        self.token = token
        self.version = version
        self.phone_number_id = phone_number_id
        self.business_id = business_id
        self.display_phone_number = display_phone_number
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self.media: dict[str, tuple[str, bytes]] = {}  # media id -> (mime type, bytes)
        self.templates: list[dict[str, Any]] = []
        self.products = [{"id": "8231", "name": "Blue shirt", "retailer_id": "shirt-blue", "price": "$10.00"}]
        self.product_sets = [{"id": "9001", "name": "Summer"}]
        self._failures: list[Failure] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(
        self, path_suffix: str, status: int, error: dict[str, Any], *, times: int = 1, retry_after: str | None = None
    ) -> None:
        """The next `times` requests whose path ends with `path_suffix` answer `{"error": error}`."""
        self._failures.append(Failure(path_suffix, status, error, times, retry_after))

    def add_media(self, media_id: str, mime: str, data: bytes) -> None:
        """Media a customer sent (what an inbound webhook's media id points to)."""
        self.media[media_id] = (mime, data)

    def sent(self) -> list[dict[str, Any]]:
        """The bodies of every accepted `/messages` POST."""
        return [c.json for c in self.calls if c.path.endswith("/messages") and c.method == "POST"]

    # --- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> FakeGraph:
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- requests -----------------------------------------------------------------------------

    def _error(self, status: int, error: dict[str, Any], retry_after: str | None = None) -> web.Response:
        headers = {"Retry-After": retry_after} if retry_after else None
        return web.json_response({"error": error}, status=status, headers=headers)

    def _invalid(self, problem: str) -> web.Response:
        self.problems.append(problem)
        return self._error(
            400,
            {
                "message": f"(#100) Invalid parameter: {problem}",
                "type": "OAuthException",
                "code": 100,
                "fbtrace_id": "D",
            },
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/media-download/"):
            return self._download(request, path.removeprefix("/media-download/"))
        prefix = f"/{self.version}/"
        if not path.startswith(prefix):
            return self._invalid(f"{path}: the path must start with the version {prefix}")
        call = Call(request.method, "/" + path.removeprefix(prefix), dict(request.query), dict(request.headers))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.calls.append(call)
            return self._error(
                401,
                {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190, "fbtrace_id": "E"},
            )
        if request.content_type == "application/json":
            try:
                call.json = await request.json()
            except json.JSONDecodeError:
                return self._invalid("the body is not JSON")
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.filename:  # type: ignore[union-attr]
                    data = await part.read()  # type: ignore[union-attr]
                    ctype = part.headers.get("Content-Type", "")  # type: ignore[union-attr]
                    call.form[part.name or ""] = (part.filename, ctype, bytes(data))  # type: ignore[union-attr]
                else:
                    call.form[part.name or ""] = await part.text()  # type: ignore[union-attr]
        self.calls.append(call)
        for failure in self._failures:
            if failure.times > 0 and call.path.endswith(failure.path_suffix):
                failure.times -= 1
                return self._error(failure.status, failure.error, failure.retry_after)
        return self._route(call)

    def _route(self, call: Call) -> web.Response:
        parts = call.path.strip("/").split("/")
        if call.method == "POST" and parts == [self.phone_number_id, "messages"]:
            return self._message(call.json)
        if call.method == "POST" and parts == [self.phone_number_id, "media"]:
            return self._upload(call.form)
        if parts == [self.business_id, "message_templates"]:
            return self._templates(call)
        if call.method == "GET" and parts == [self.phone_number_id]:
            return web.json_response({"display_phone_number": self.display_phone_number, "id": self.phone_number_id})
        if call.method == "GET" and parts == [self.business_id, "product_catalogs"]:
            return web.json_response({"data": [{"id": "5550001", "name": "Shop"}]})
        if call.method == "GET" and parts == ["5550001", "products"]:
            limit = int(call.query.get("limit", "25"))
            return web.json_response({"data": self.products[:limit], "paging": {}})
        if call.method == "GET" and parts == ["5550001", "product_sets"]:
            return web.json_response({"data": self.product_sets, "paging": {}})
        if len(parts) == 1 and call.method == "GET" and parts[0] in self.media:
            mime, data = self.media[parts[0]]
            return web.json_response(
                {
                    "messaging_product": "whatsapp",
                    "url": f"{self.url}/media-download/{parts[0]}",
                    "mime_type": mime,
                    "sha256": "0" * 64,
                    "file_size": len(data),
                    "id": parts[0],
                }
            )
        if len(parts) == 1 and call.method == "POST" and any(t["id"] == parts[0] for t in self.templates):
            return self._edit_template(parts[0], call.json)
        return self._error(
            400,
            {
                "message": f"Unsupported {call.method} request. Object with ID '{parts[0]}' does not exist",
                "type": "GraphMethodException",
                "code": 100,
                "error_subcode": 33,
                "fbtrace_id": "F",
            },
        )

    def _download(self, request: web.Request, media_id: str) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=401)
        if media_id not in self.media:
            return web.Response(status=404)
        mime, data = self.media[media_id]
        return web.Response(body=data, content_type=mime)

    # --- /messages ----------------------------------------------------------------------------

    def _message(self, body: Any) -> web.Response:
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return self._invalid("messaging_product must be whatsapp")
        if body.get("status") == "read":
            if not isinstance(body.get("message_id"), str):
                return self._invalid("a read receipt needs message_id")
            return web.json_response({"success": True})
        to = body.get("to")
        if not isinstance(to, str) or not to.isdigit():
            return self._invalid("to must be the recipient's phone number (digits)")
        kind = body.get("type")
        if kind not in MESSAGE_TYPES or kind not in body:
            return self._invalid(f"type {kind!r} with its object")
        problem = self._check_message(kind, body[kind])
        if problem:
            return self._invalid(problem)
        context = body.get("context")
        if context is not None and not (isinstance(context, dict) and isinstance(context.get("message_id"), str)):
            return self._invalid("context.message_id")
        message_id = f"wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI{next(self._ids):04d}"
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": message_id}],
            }
        )

    def _check_message(self, kind: str, obj: Any) -> str | None:
        if kind == "contacts":
            if not isinstance(obj, list) or not obj or not all(c.get("name", {}).get("formatted_name") for c in obj):
                return "contacts need name.formatted_name"
            return None
        if not isinstance(obj, dict):
            return f"{kind} must be an object"
        if kind == "text":
            return None if isinstance(obj.get("body"), str) and obj["body"] else "text.body"
        if kind in MEDIA_TYPES:
            if ("id" in obj) == ("link" in obj):
                return f"{kind} needs exactly one of id or link"
            if "id" in obj and obj["id"] not in self.media:
                return f"{kind}.id {obj['id']} was not uploaded"
            if kind in ("audio", "sticker") and "caption" in obj:
                return f"{kind} takes no caption"
            if "filename" in obj and kind != "document":
                return "only a document has a filename"
            return None
        if kind == "location":
            ok = isinstance(obj.get("latitude"), int | float) and isinstance(obj.get("longitude"), int | float)
            return None if ok else "location.latitude/longitude"
        if kind == "reaction":
            return None if isinstance(obj.get("message_id"), str) and "emoji" in obj else "reaction.message_id/emoji"
        if kind == "template":
            language = obj.get("language") or {}
            return None if obj.get("name") and language.get("code") else "template.name/language.code"
        return self._check_interactive(obj)

    def _check_interactive(self, obj: dict[str, Any]) -> str | None:
        if not (obj.get("body") or {}).get("text"):
            return "interactive.body.text"
        action = obj.get("action") or {}
        if obj.get("type") == "button":
            buttons = action.get("buttons") or []
            ok = 1 <= len(buttons) <= 3 and all(
                b.get("type") == "reply" and b.get("reply", {}).get("id") and b["reply"].get("title") for b in buttons
            )
            return None if ok else "interactive.action.buttons (1 to 3 replies with id and title)"
        if obj.get("type") == "list":
            sections = action.get("sections") or []
            rows_ok = all(r.get("id") and r.get("title") for s in sections for r in s.get("rows", []))
            return None if action.get("button") and sections and rows_ok else "interactive.action (button, sections)"
        return "interactive.type"

    def _upload(self, form: dict[str, Any]) -> web.Response:
        if form.get("messaging_product") != "whatsapp":
            return self._invalid("upload: messaging_product must be whatsapp")
        file = form.get("file")
        if not isinstance(file, tuple):
            return self._invalid("upload: the file part is missing")
        if not form.get("type") or form["type"] != file[1]:
            return self._invalid("upload: type must be the file's MIME type")
        media_id = f"{next(self._ids) + 1_000_000}"
        self.media[media_id] = (file[1], file[2])
        return web.json_response({"id": media_id})

    # --- templates ----------------------------------------------------------------------------

    def _templates(self, call: Call) -> web.Response:
        if call.method == "GET":
            return web.json_response({"data": self.templates, "paging": {"cursors": {}}})
        if call.method == "DELETE":
            name = call.query.get("name")
            if not name:
                return self._invalid("delete: name is required")
            hsm_id = call.query.get("hsm_id")
            before = len(self.templates)
            self.templates = [
                t for t in self.templates if not (t["name"] == name and (hsm_id is None or t["id"] == hsm_id))
            ]
            if len(self.templates) == before:
                return self._error(
                    400, {"message": "Template not found", "type": "OAuthException", "code": 100, "fbtrace_id": "G"}
                )
            return web.json_response({"success": True})
        body = call.json or {}
        for required in ("name", "category", "language", "components"):
            if not body.get(required):
                return self._invalid(f"template: {required} is required")
        template_id = f"{next(self._ids) + 2_000_000}"
        self.templates.append(
            {
                "id": template_id,
                "name": body["name"],
                "language": body["language"],
                "category": body["category"],
                "components": body["components"],
                "status": "PENDING",
            }
        )
        return web.json_response({"id": template_id, "status": "PENDING", "category": body["category"]})

    def _edit_template(self, template_id: str, body: Any) -> web.Response:
        if not isinstance(body, dict) or not ({"category", "components", "message_send_ttl_seconds"} & set(body)):
            return self._invalid("edit: category, components or message_send_ttl_seconds")
        for template in self.templates:
            if template["id"] == template_id:
                template.update({k: v for k, v in body.items() if k in ("category", "components")})
        return web.json_response({"success": True})
