"""A real server with Chatwoot switched on, a fake Chatwoot, and an EVOLUTION instance to talk through."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from evolution_py.channels.evolution import EvolutionChannel
from evolution_py.config import Settings
from evolution_py.dto.chat import DeleteMessage, ReadMessages
from evolution_py.events.testing import RecordingSink
from evolution_py.integrations.chatwoot.testing import FakeChatwoot
from evolution_py.services import Services
from tests.support.server import RunningServer, running_server, unique

CHATWOOT_ENV = {
    "CHATWOOT_ENABLED": "true",
    "CHATWOOT_MESSAGE_DELETE": "true",
    "CHATWOOT_MESSAGE_READ": "true",
    "CHATWOOT_RETRY_INITIAL_DELAY_MS": "50",
    "CHATWOOT_RETRY_MAX_DELAY_MS": "300",
    "CHATWOOT_REQUEST_TIMEOUT_MS": "5000",
}


class ChatsEvolution(EvolutionChannel):
    """The EVOLUTION channel with the two chat operations Chatwoot uses, recorded (the real one has
    neither: it is an inbound webhook and an outbound record)."""

    done: ClassVar[list[tuple[str, str, Any]]] = []  # (instance, operation, request)

    async def delete_message_for_everyone(self, req: DeleteMessage) -> dict[str, Any]:
        self.done.append((self.ctx.name, "delete", req))
        return {"key": {"id": req.id, "remoteJid": req.remoteJid, "fromMe": req.fromMe}}

    async def mark_message_as_read(self, req: ReadMessages) -> dict[str, Any]:
        self.done.append((self.ctx.name, "read", req))
        return {"message": "Read messages", "read": "success"}


def _chats_evolution(ctx: Any, _settings: Settings) -> ChatsEvolution:
    return ChatsEvolution(ctx)


@dataclass
class Setup:
    srv: RunningServer
    fake: FakeChatwoot
    name: str
    number: str
    token: str
    recording: RecordingSink

    async def inbound(self, remote_jid: str, message: dict[str, Any], msg_id: str, **extra: Any) -> None:
        body = {
            "numberId": self.number,
            "key": {"remoteJid": remote_jid, "fromMe": False, "id": msg_id, **extra.pop("key", {})},
            "message": message,
            **extra,
        }
        answer = await self.srv.client.post("/webhook/evolution", json=body, headers=self.srv.headers(self.token))
        assert answer.status_code == 200, answer.text

    def channel_did(self, operation: str) -> list[Any]:
        return [req for name, op, req in ChatsEvolution.done if name == self.name and op == operation]

    async def emit(self, event: str, data: Any) -> None:
        """An event as a WhatsApp Web instance emits it (fields the EVOLUTION channel does not carry,
        such as an @lid sender's `remoteJidAlt`), on the same bus."""
        await self.srv.services.registry.require(self.name).emit(event, data)

    async def configure(self, **fields: Any) -> dict[str, Any]:
        body = {
            "enabled": True,
            "accountId": str(self.fake.account_id),
            "token": self.fake.token,
            "url": self.fake.url,
            "signMsg": False,
            "reopenConversation": True,
            "conversationPending": False,
            "autoCreate": True,
            **fields,
        }
        answer = await self.srv.client.post(
            f"/chatwoot/set/{self.name}", json=body, headers=self.srv.headers(self.token)
        )
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]


def recorder(recording: RecordingSink) -> Callable[[Services], None]:
    def configure(services: Services) -> None:
        services.bus.add_sink(recording)

    return configure


async def until(check: Callable[[], Any], within: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def chatwoot_fake() -> AsyncIterator[FakeChatwoot]:
    fake = FakeChatwoot()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@asynccontextmanager
async def chatwoot_server(
    tmp_path: Path,
    db_env: dict[str, str],
    fake: FakeChatwoot,
    *,
    name: str | None = None,
    number: str | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Setup]:
    recording = RecordingSink()
    async with running_server(
        tmp_path,
        {**db_env, **CHATWOOT_ENV, **(env or {})},
        factories={"EVOLUTION": _chats_evolution},
        configure=recorder(recording),
    ) as srv:
        if name is None:
            name, number = unique("cw"), uuid.uuid4().hex[:12]
            token = (await srv.create_instance(name, number=number))["hash"]
        else:
            token = srv.services.registry.require(name).token or ""
        assert number is not None
        yield Setup(srv=srv, fake=fake, name=name, number=number, token=token, recording=recording)
