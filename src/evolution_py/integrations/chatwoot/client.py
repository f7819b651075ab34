"""A client for the parts of Chatwoot's application API we use, over the guarded outbound client.

Paths and bodies as Chatwoot documents them (`/api/v1/accounts/{account_id}/...`, the agent or bot
token in the `api_access_token` header). An error answer is logged with what was sent (never the
token); 5xx, 429 and transport failures are retryable, other 4xx are not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec

from evolution_py.outbound import OutboundClient
from evolution_py.outbound.client import OutboundError
from evolution_py.store.safe_text import short_reason

log = logging.getLogger("evolution_py.chatwoot")

_LOGGED_BODY_CHARS = 500
_RETRYABLE = {408, 425, 429}


class ChatwootError(Exception):
    def __init__(self, reason: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.status = status


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


class ChatwootClient:
    def __init__(self, outbound: OutboundClient, *, url: str, account_id: str, token: str, timeout: float) -> None:
        self._outbound = outbound
        self._base = url.rstrip("/")
        self._account = f"/api/v1/accounts/{account_id}"
        self._token = token
        self._timeout = timeout

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        form: aiohttp.FormData | None = None,
        params: dict[str, str] | None = None,
        public: bool = False,
    ) -> Any:
        url = self._base + (path if public else self._account + path)
        try:
            answer = await self._outbound.request(
                method,
                url,
                json=json,
                data=form,
                params=params,
                headers={"api_access_token": self._token},
                time_limit=self._timeout,
            )
        except OutboundError as exc:
            log.warning("chatwoot %s %s failed: %s", method, path, exc.reason)
            raise ChatwootError(exc.reason, retryable=exc.retryable) from None
        if not answer.ok:
            sent = (
                msgspec.json.encode(json).decode()[:_LOGGED_BODY_CHARS]
                if json is not None
                else ("(a form with a file)" if form is not None else "(no body)")
            )
            log.warning(
                "chatwoot %s %s answered %s to %s: %s",
                method,
                path,
                answer.status,
                sent,
                short_reason(answer.body),
            )
            retryable = answer.status >= 500 or answer.status in _RETRYABLE
            raise ChatwootError(
                f"chatwoot {method} {path}: {answer.failure()}", retryable=retryable, status=answer.status
            )
        if not answer.body:
            return None
        try:
            return answer.json()
        except OutboundError as exc:
            raise ChatwootError(exc.reason, retryable=True) from None

    # --- inboxes ----------------------------------------------------------------------------------

    async def list_inboxes(self) -> list[dict[str, Any]]:
        return _payload_list(await self._call("GET", "/inboxes"))

    async def create_inbox(self, name: str, webhook_url: str) -> dict[str, Any]:
        body = {"name": name, "channel": {"type": "api", "webhook_url": webhook_url}}
        return _object(await self._call("POST", "/inboxes", json=body))

    async def update_inbox_webhook(self, inbox_id: int, webhook_url: str) -> None:
        await self._call("PATCH", f"/inboxes/{inbox_id}", json={"channel": {"webhook_url": webhook_url}})

    # --- contacts ---------------------------------------------------------------------------------

    async def search_contacts(self, query: str) -> list[dict[str, Any]]:
        return _payload_list(await self._call("GET", "/contacts/search", params={"q": query}))

    async def create_contact(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = _object(await self._call("POST", "/contacts", json=body))
        payload = answer.get("payload")
        contact = payload.get("contact") if isinstance(payload, dict) else None
        return contact if isinstance(contact, dict) else answer

    async def update_contact(self, contact_id: int, body: dict[str, Any]) -> None:
        await self._call("PUT", f"/contacts/{contact_id}", json=body)

    async def contact_conversations(self, contact_id: int) -> list[dict[str, Any]]:
        return _payload_list(await self._call("GET", f"/contacts/{contact_id}/conversations"))

    async def merge_contacts(self, base_id: int, mergee_id: int) -> None:
        await self._call(
            "POST", "/actions/contact_merge", json={"base_contact_id": base_id, "mergee_contact_id": mergee_id}
        )

    # --- conversations and messages ---------------------------------------------------------------

    async def create_conversation(self, contact_id: int, inbox_id: int, status: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"contact_id": str(contact_id), "inbox_id": str(inbox_id)}
        if status:
            body["status"] = status
        return _object(await self._call("POST", "/conversations", json=body))

    async def get_conversation(self, conversation_id: int) -> dict[str, Any]:
        return _object(await self._call("GET", f"/conversations/{conversation_id}"))

    async def toggle_status(self, conversation_id: int, status: str) -> None:
        await self._call("POST", f"/conversations/{conversation_id}/toggle_status", json={"status": status})

    async def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        return _payload_list(await self._call("GET", f"/conversations/{conversation_id}/messages"))

    async def create_message(
        self,
        conversation_id: int,
        *,
        content: str | None,
        message_type: str,
        source_id: str | None = None,
        in_reply_to: int | None = None,
        attachment: Attachment | None = None,
        private: bool = False,
    ) -> dict[str, Any]:
        path = f"/conversations/{conversation_id}/messages"
        if attachment is None:
            body: dict[str, Any] = {"content": content, "message_type": message_type, "private": private}
            if source_id:
                body["source_id"] = source_id
            if in_reply_to is not None:
                body["content_attributes"] = {"in_reply_to": in_reply_to}
            return _object(await self._call("POST", path, json=body))
        form = aiohttp.FormData()
        if content:
            form.add_field("content", content)
        form.add_field("message_type", message_type)
        if source_id:
            form.add_field("source_id", source_id)
        if in_reply_to is not None:
            form.add_field("content_attributes", msgspec.json.encode({"in_reply_to": in_reply_to}).decode())
        form.add_field(
            "attachments[]", attachment.data, filename=attachment.filename, content_type=attachment.content_type
        )
        return _object(await self._call("POST", path, form=form))

    async def delete_message(self, conversation_id: int, message_id: int) -> None:
        await self._call("DELETE", f"/conversations/{conversation_id}/messages/{message_id}")

    async def update_last_seen(self, inbox_identifier: str, source_id: str, conversation_id: int) -> None:
        path = (
            f"/public/api/v1/inboxes/{inbox_identifier}/contacts/{source_id}"
            f"/conversations/{conversation_id}/update_last_seen"
        )
        await self._call("POST", path, public=True)


def _object(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise ChatwootError("chatwoot answered something that is not an object", retryable=False)
    return answer


def _payload_list(answer: Any) -> list[dict[str, Any]]:
    payload = answer.get("payload") if isinstance(answer, dict) else answer
    if isinstance(payload, dict) and isinstance(payload.get("payload"), list):
        payload = payload["payload"]  # GET /contacts/{id}/conversations nests it once more
    if not isinstance(payload, list):
        return []
    return [item for item in payload if isinstance(item, dict)]
