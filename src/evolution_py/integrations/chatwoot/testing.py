"""A fake Chatwoot for tests: an aiohttp server on 127.0.0.1 keeping accounts, inboxes, contacts,
conversations and messages; it checks each request as Chatwoot's API documents it (the
`api_access_token` header, `/api/v1/accounts/{id}/...` paths, bodies) and, like Chatwoot, posts
`message_created` / `message_updated` to an inbox's webhook URL."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web


@dataclass
class FakeChatwoot:
    account_id: int = 1
    token: str = "cw-agent-token"
    down: bool = False  # every request answers 503
    refuse_messages: bool = False  # new messages answer 422
    slow_messages: float = 0.0  # seconds a created message's answer is held back (it is stored first)
    inboxes: dict[int, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # requests that broke Chatwoot's API rules
    seen: list[dict[str, Any]] = field(default_factory=list)  # update_last_seen calls
    merges: list[tuple[int, int]] = field(default_factory=list)
    webhook_answers: list[int] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""

    # --- server ---------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._checks], client_max_size=80 * 1024 * 1024)
        base = "/api/v1/accounts/{account}"
        app.router.add_route("GET", base + "/inboxes", self._list_inboxes)
        app.router.add_route("POST", base + "/inboxes", self._create_inbox)
        app.router.add_route("PATCH", base + "/inboxes/{id}", self._update_inbox)
        app.router.add_route("GET", base + "/contacts/search", self._search)
        app.router.add_route("POST", base + "/contacts", self._create_contact)
        app.router.add_route("PUT", base + "/contacts/{id}", self._update_contact)
        app.router.add_route("GET", base + "/contacts/{id}/conversations", self._contact_conversations)
        app.router.add_route("POST", base + "/actions/contact_merge", self._merge)
        app.router.add_route("POST", base + "/conversations", self._create_conversation)
        app.router.add_route("GET", base + "/conversations/{id}", self._get_conversation)
        app.router.add_route("POST", base + "/conversations/{id}/toggle_status", self._toggle)
        app.router.add_route("GET", base + "/conversations/{id}/messages", self._list_messages)
        app.router.add_route("POST", base + "/conversations/{id}/messages", self._create_message)
        app.router.add_route("DELETE", base + "/conversations/{id}/messages/{mid}", self._delete_message)
        app.router.add_route(
            "POST",
            "/public/api/v1/inboxes/{inbox}/contacts/{source}/conversations/{id}/update_last_seen",
            self._last_seen,
        )
        app.router.add_route("GET", "/files/{name}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _checks(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.down:
            return web.json_response({"error": "maintenance"}, status=503)
        if request.path.startswith("/api/v1/"):
            if request.headers.get("api_access_token") != self.token:
                self.refused.append(f"{request.method} {request.path}: no or wrong api_access_token")
                return web.json_response({"error": "You need to sign in or sign up before continuing."}, status=401)
            if request.match_info.get("account") != str(self.account_id):
                return web.json_response({"error": "account not found"}, status=404)
        result: web.StreamResponse = await handler(request)
        return result

    def _refuse(self, reason: str) -> web.Response:
        self.refused.append(reason)
        return web.json_response({"message": reason}, status=422)

    async def _json(self, request: web.Request) -> dict[str, Any]:
        body = await request.json()
        return body if isinstance(body, dict) else {}

    # --- inboxes --------------------------------------------------------------------------------

    async def _list_inboxes(self, _request: web.Request) -> web.Response:
        return web.json_response({"payload": list(self.inboxes.values())})

    async def _create_inbox(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        channel = body.get("channel") or {}
        if not body.get("name") or channel.get("type") != "api":
            return self._refuse("POST inboxes needs a name and channel.type api")
        inbox_id = next(self._ids)
        inbox = {
            "id": inbox_id,
            "name": body["name"],
            "channel_type": "Channel::Api",
            "webhook_url": channel.get("webhook_url"),
            "inbox_identifier": uuid.uuid4().hex,
        }
        self.inboxes[inbox_id] = inbox
        return web.json_response(inbox)

    async def _update_inbox(self, request: web.Request) -> web.Response:
        inbox = self.inboxes.get(int(request.match_info["id"]))
        if inbox is None:
            return web.json_response({"error": "not found"}, status=404)
        body = await self._json(request)
        if isinstance(body.get("channel"), dict) and "webhook_url" in body["channel"]:
            inbox["webhook_url"] = body["channel"]["webhook_url"]
        return web.json_response(inbox)

    # --- contacts -------------------------------------------------------------------------------

    async def _search(self, request: web.Request) -> web.Response:
        query = request.query.get("q", "")
        if not query:
            return self._refuse("contacts/search needs q")
        found = [
            c
            for c in self.contacts.values()
            if query in str(c.get("phone_number") or "")
            or query in str(c.get("identifier") or "")
            or query.lower() in str(c.get("name") or "").lower()
        ]
        return web.json_response({"meta": {"count": len(found)}, "payload": found})

    async def _create_contact(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        inbox = self.inboxes.get(int(body.get("inbox_id") or 0))
        if inbox is None or not body.get("name"):
            return self._refuse("POST contacts needs an existing inbox_id and a name")
        phone = body.get("phone_number")
        if phone is not None and not str(phone).startswith("+"):
            return self._refuse("phone_number must be in e164 format")
        for other in self.contacts.values():
            if (phone and other.get("phone_number") == phone) or (
                body.get("identifier") and other.get("identifier") == body["identifier"]
            ):
                return web.json_response({"message": "Phone number has already been taken"}, status=422)
        contact_id = next(self._ids)
        source_id = uuid.uuid4().hex
        contact = {
            "id": contact_id,
            "name": body["name"],
            "phone_number": phone,
            "identifier": body.get("identifier"),
            "thumbnail": body.get("avatar_url") or "",
            "contact_inboxes": [{"source_id": source_id, "inbox": {"id": inbox["id"]}}],
        }
        self.contacts[contact_id] = contact
        return web.json_response({"payload": {"contact": contact, "contact_inbox": {"source_id": source_id}}})

    async def _update_contact(self, request: web.Request) -> web.Response:
        contact = self.contacts.get(int(request.match_info["id"]))
        if contact is None:
            return web.json_response({"error": "not found"}, status=404)
        contact.update({k: v for k, v in (await self._json(request)).items() if k in ("name", "avatar_url")})
        return web.json_response({"payload": contact})

    async def _contact_conversations(self, request: web.Request) -> web.Response:
        contact_id = int(request.match_info["id"])
        if contact_id not in self.contacts:
            return web.json_response({"error": "not found"}, status=404)
        found = [c for c in self.conversations.values() if c["contact_id"] == contact_id]
        return web.json_response({"payload": found})

    async def _merge(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        base, mergee = int(body.get("base_contact_id") or 0), int(body.get("mergee_contact_id") or 0)
        if base not in self.contacts or mergee not in self.contacts:
            return self._refuse("contact_merge needs two existing contacts")
        for conversation in self.conversations.values():
            if conversation["contact_id"] == mergee:
                conversation["contact_id"] = base
        del self.contacts[mergee]
        self.merges.append((base, mergee))
        return web.json_response(self.contacts[base])

    # --- conversations --------------------------------------------------------------------------

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        contact = self.contacts.get(int(body.get("contact_id") or 0))
        inbox = self.inboxes.get(int(body.get("inbox_id") or 0))
        if contact is None or inbox is None:
            return self._refuse("POST conversations needs an existing contact_id and inbox_id")
        source = next(
            (ci["source_id"] for ci in contact["contact_inboxes"] if ci["inbox"]["id"] == inbox["id"]), uuid.uuid4().hex
        )
        conversation_id = next(self._ids)
        conversation = {
            "id": conversation_id,
            "inbox_id": inbox["id"],
            "contact_id": contact["id"],
            "status": body.get("status") or "open",
            "contact_inbox": {"source_id": source},
        }
        self.conversations[conversation_id] = conversation
        return web.json_response(conversation)

    async def _get_conversation(self, request: web.Request) -> web.Response:
        conversation = self.conversations.get(int(request.match_info["id"]))
        if conversation is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(conversation)

    async def _toggle(self, request: web.Request) -> web.Response:
        conversation = self.conversations.get(int(request.match_info["id"]))
        if conversation is None:
            return web.json_response({"error": "not found"}, status=404)
        status = (await self._json(request)).get("status")
        if status not in ("open", "resolved", "pending", "snoozed"):
            return self._refuse(f"toggle_status: unknown status {status!r}")
        conversation["status"] = status
        return web.json_response({"payload": {"success": True, "current_status": status}})

    # --- messages -------------------------------------------------------------------------------

    async def _list_messages(self, request: web.Request) -> web.Response:
        conversation_id = int(request.match_info["id"])
        if conversation_id not in self.conversations:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response({"payload": self.of(conversation_id)})

    async def _create_message(self, request: web.Request) -> web.Response:
        conversation = self.conversations.get(int(request.match_info["id"]))
        if conversation is None:
            return web.json_response({"error": "not found"}, status=404)
        if self.refuse_messages:
            return self._refuse("message refused by the test")
        attachments: list[dict[str, Any]] = []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            fields: dict[str, Any] = {}
            for name, value in form.items():
                if name == "attachments[]" and isinstance(value, web.FileField):
                    attachments.append(self._store_file(value.filename, value.content_type, value.file.read()))
                else:
                    fields[name] = value
            body: dict[str, Any] = fields
        else:
            body = await self._json(request)
        if body.get("message_type") not in ("incoming", "outgoing", "template", None):
            return self._refuse(f"message_type {body.get('message_type')!r} is not one of Chatwoot's")
        if not body.get("content") and not attachments:
            return self._refuse("a message needs content or an attachment")
        reply = body.get("content_attributes")
        message = self._add(
            conversation,
            content=body.get("content"),
            message_type=body.get("message_type") or "outgoing",
            private=str(body.get("private")).lower() == "true",
            source_id=body.get("source_id"),
            content_attributes=reply if isinstance(reply, dict) else {},
            attachments=attachments,
        )
        self._notify("message_created", message)  # Chatwoot tells an API inbox of every message, ours too
        if self.slow_messages:
            await asyncio.sleep(self.slow_messages)
        return web.json_response(self._public(message))

    async def _delete_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(int(request.match_info["mid"]))
        if message is None:
            return web.json_response({"error": "not found"}, status=404)
        message["deleted"] = True
        message["content"] = "This message was deleted"
        return web.json_response(self._public(message))

    async def _last_seen(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.match_info))
        return web.json_response({})

    async def _file(self, request: web.Request) -> web.Response:
        return web.Response(body=b"agent-file-bytes", content_type="application/pdf")

    def _store_file(self, filename: str, content_type: str, data: bytes) -> dict[str, Any]:
        return {"file_type": content_type.split("/")[0], "file_name": filename, "size": len(data), "data": data}

    def _add(self, conversation: dict[str, Any], **fields: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        message = {"id": message_id, "conversation_id": conversation["id"], "deleted": False, **fields}
        self.messages[message_id] = message
        return message

    # --- Chatwoot's webhook ---------------------------------------------------------------------

    def _notify(self, event: str, message: dict[str, Any], **extra: Any) -> None:
        conversation = self.conversations[message["conversation_id"]]
        inbox = self.inboxes[conversation["inbox_id"]]
        if not inbox.get("webhook_url"):
            return
        contact = self.contacts.get(conversation["contact_id"]) or {}
        public = {k: v for k, v in message.items() if k not in ("attachments", "deleted")} | {
            "attachments": [
                {"id": i, "file_type": a["file_type"], "data_url": a.get("data_url", "")}
                for i, a in enumerate(message.get("attachments") or [])
            ]
        }
        payload = {
            "event": event,
            **public,
            "sender": {"name": "Agent Smith", "available_name": "Agent Smith"}
            if message["message_type"] == "outgoing"
            else {"name": contact.get("name")},
            "inbox": {"id": inbox["id"], "name": inbox["name"]},
            "conversation": {
                "id": conversation["id"],
                "status": conversation["status"],
                "contact_inbox": conversation["contact_inbox"],
                "meta": {
                    "sender": {"identifier": contact.get("identifier"), "phone_number": contact.get("phone_number")}
                },
                "messages": [public],
            },
            **extra,
        }
        asyncio.get_running_loop().create_task(self._post(inbox["webhook_url"], payload))

    async def _post(self, url: str, payload: dict[str, Any]) -> None:
        try:
            async with aiohttp.ClientSession() as session, session.post(url, json=payload) as answer:
                self.webhook_answers.append(answer.status)
        except aiohttp.ClientError:
            self.webhook_answers.append(0)

    # --- what a test does as an agent -----------------------------------------------------------

    def agent_reply(
        self,
        conversation_id: int,
        content: str | None,
        *,
        private: bool = False,
        in_reply_to: int | None = None,
        attachment_url: str | None = None,
    ) -> dict[str, Any]:
        conversation = self.conversations[conversation_id]
        attachments = [{"file_type": "file", "data_url": attachment_url}] if attachment_url else []
        message = self._add(
            conversation,
            content=content,
            message_type="outgoing",
            private=private,
            source_id=None,
            content_attributes={"in_reply_to": in_reply_to} if in_reply_to else {},
            attachments=attachments,
        )
        self._notify("message_created", message)
        return message

    def agent_delete(self, message_id: int) -> None:
        message = self.messages[message_id]
        message["deleted"] = True
        self._notify("message_updated", message, content_attributes={"deleted": True})

    def resolve(self, conversation_id: int) -> None:
        self.conversations[conversation_id]["status"] = "resolved"

    # --- what a test reads ----------------------------------------------------------------------

    def of(self, conversation_id: int) -> list[dict[str, Any]]:
        return [self._public(m) for m in self.messages.values() if m["conversation_id"] == conversation_id]

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        """A message as Chatwoot's API shows it (attachments without their bytes)."""
        attachments = [{k: v for k, v in a.items() if k != "data"} for a in message.get("attachments") or []]
        return {k: v for k, v in message.items() if k != "attachments"} | {"attachments": attachments}

    def with_source(self, source_id: str) -> list[dict[str, Any]]:
        return [self._public(m) for m in self.messages.values() if m.get("source_id") == source_id]

    def contact_by_identifier(self, identifier: str) -> list[dict[str, Any]]:
        return [c for c in self.contacts.values() if c.get("identifier") == identifier]

    def conversations_of(self, contact_id: int) -> list[dict[str, Any]]:
        return [c for c in self.conversations.values() if c["contact_id"] == contact_id]
