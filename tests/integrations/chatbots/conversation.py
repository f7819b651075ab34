"""Driving a conversation through the EVOLUTION channel: inbound messages in, our answers out."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.support.server import RunningServer, unique

PEER = "5511988887777@s.whatsapp.net"


class Conversation:
    def __init__(self, srv: RunningServer, name: str, token: str, number: str) -> None:
        self.srv = srv
        self.name = name
        self.token = token
        self.number = number

    @classmethod
    async def start(cls, srv: RunningServer) -> Conversation:
        name, number = unique(), uuid.uuid4().hex[:12]
        token = (await srv.create_instance(name, number=number))["hash"]
        return cls(srv, name, token, number)

    @property
    def headers(self) -> dict[str, str]:
        return self.srv.headers(self.token)

    async def inbound(
        self, text: str, *, peer: str = PEER, from_me: bool = False, message_id: str | None = None, **message: Any
    ) -> str:
        message_id = message_id or f"IN-{uuid.uuid4().hex[:10]}"
        body = {
            "numberId": self.number,
            "key": {"remoteJid": peer, "fromMe": from_me, "id": message_id},
            "pushName": "Ana",
            "message": message or {"conversation": text},
        }
        answer = await self.srv.client.post("/webhook/evolution", json=body, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return message_id

    async def sent(self, peer: str = PEER) -> list[dict[str, Any]]:
        """What we sent to `peer`, oldest first (the stored fromMe messages)."""
        found = await self.srv.client.post(
            f"/chat/findMessages/{self.name}",
            headers=self.headers,
            json={"where": {"key": {"fromMe": True, "remoteJid": peer}}},
        )
        records = found.json()["messages"]["records"]
        return sorted(records, key=lambda r: (r.get("messageTimestamp") or 0, r.get("id") or ""))

    async def texts(self, peer: str = PEER) -> list[str]:
        out = []
        for record in await self.sent(peer):
            message = record.get("message") or {}
            text = message.get("conversation") or (message.get("extendedTextMessage") or {}).get("text")
            out.append(text or str(record.get("messageType")))
        return out

    async def wait_texts(self, count: int, peer: str = PEER, within: float = 15.0) -> list[str]:
        async with asyncio.timeout(within):
            while True:
                texts = await self.texts(peer)
                if len(texts) >= count:
                    return texts
                await asyncio.sleep(0.1)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        answer = await self.srv.client.post(f"{path}/{self.name}", json=body, headers=self.headers)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    async def get(self, path: str) -> Any:
        answer = await self.srv.client.get(f"{path}/{self.name}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()
