"""The integration seam end to end: an inbound message on the EVOLUTION channel reaches an integration
through the durable bus, and its answer goes out through MessagingService, the same path as
`/message/sendText`: sent, stored and emitted as `send.message`. A failing backend is retried."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from evolution_py.dto.message import SendText
from evolution_py.events import names
from evolution_py.events.event import Event
from evolution_py.events.retry import RetryPolicy
from evolution_py.events.testing import RecordingSink
from evolution_py.integrations.base import BaseIntegration, IntegrationContext, IntegrationFailed
from evolution_py.integrations.registry import install_integrations
from evolution_py.services import Services
from tests.support.databases import database_env
from tests.support.server import running_server, unique

PEER = "5511988887777@s.whatsapp.net"


class EchoBot(BaseIntegration):
    """Answers `echo: <text>` to every inbound text; its backend fails the first time it is asked."""

    name = "echo"
    retry_policy = RetryPolicy(max_attempts=5, initial_delay=0.05, max_delay=0.1, jitter=0.0)

    def __init__(self, context: IntegrationContext) -> None:
        self.context = context
        self.handled: list[str] = []
        self.failures_left = 1

    async def wants(self, event: Event) -> bool:
        return event.event == names.MESSAGES_UPSERT and not event.data["key"]["fromMe"]

    async def handle(self, event: Event) -> None:
        text = event.data["message"]["conversation"]
        if self.failures_left:
            self.failures_left -= 1
            raise IntegrationFailed("backend is down")
        self.handled.append(text)
        await self.context.messaging.send_text(
            event.instance, SendText(number=event.data["key"]["remoteJid"], text=f"echo: {text}")
        )


async def test_an_integration_answers_through_the_messaging_service(tmp_path: Path, db_kind: str) -> None:
    bots: list[EchoBot] = []
    recording = RecordingSink()

    def configure(services: Services) -> None:
        context = IntegrationContext(
            settings=services.settings,
            messaging=services.messaging,
            registry=services.registry,
            outbound=services.outbound,
        )

        def build(ctx: IntegrationContext) -> EchoBot:
            bots.append(EchoBot(ctx))
            return bots[-1]

        services.integrations += install_integrations(context, services.bus, [build])
        services.bus.add_sink(recording)

    async with database_env(db_kind, tmp_path) as db_env, running_server(tmp_path, db_env, configure=configure) as srv:
        name, number = unique(), uuid.uuid4().hex[:12]
        token = (await srv.create_instance(name, number=number))["hash"]
        for text in ("one", "two"):
            inbound = {
                "numberId": number,
                "key": {"remoteJid": PEER, "fromMe": False, "id": f"IN-{text}"},
                "message": {"conversation": text},
            }
            answer = await srv.client.post("/webhook/evolution", json=inbound, headers=srv.headers(token))
            assert answer.status_code == 200

        sent = await recording.wait_for(names.SEND_MESSAGE, name, count=2, within=15)
        # One conversation is handled in order, each message once, the first after a retry.
        assert [record["message"]["conversation"] for record in sent] == ["echo: one", "echo: two"]
        assert bots[0].handled == ["one", "two"]

        found = await srv.client.post(
            f"/chat/findMessages/{name}", headers=srv.headers(token), json={"where": {"key": {"fromMe": True}}}
        )
        stored = [r["message"]["conversation"] for r in found.json()["messages"]["records"]]
        assert sorted(stored) == ["echo: one", "echo: two"]
        await asyncio.sleep(0.2)
        assert len(recording.of(names.SEND_MESSAGE, name)) == 2  # nothing answered twice
