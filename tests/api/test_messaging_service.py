"""The one send path (MessagingService → InstanceContext.record_sent): a sent message is stored before
`send.message` is emitted, so a consumer that reacts to the event by reading the store finds it; a
send the channel refuses leaves no row and no event."""

from __future__ import annotations

import uuid
from pathlib import Path

from evolution_py.events import names
from evolution_py.events.event import Event
from evolution_py.events.sink import Delivery
from evolution_py.events.testing import RecordingSink
from evolution_py.services import Services
from tests.support.databases import database_env
from tests.support.server import running_server, unique


class StoreReadingSink(RecordingSink):
    """Records, for every `send.message` the bus accepts, whether the message was already stored."""

    name = "store-reader"

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.stored_when_emitted: list[bool] = []

    async def plan(self, event: Event) -> list[Delivery]:
        if event.event == names.SEND_MESSAGE:
            store = self.services.registry.require(event.instance).store
            self.stored_when_emitted.append(await store.find_message_by_key_id(event.data["key"]["id"]) is not None)
        return await super().plan(event)


async def test_a_sent_message_is_stored_before_it_is_emitted(tmp_path: Path, db_kind: str) -> None:
    sinks: list[StoreReadingSink] = []

    def configure(services: Services) -> None:
        sinks.append(StoreReadingSink(services))
        services.bus.add_sink(sinks[0])

    async with database_env(db_kind, tmp_path) as db_env, running_server(tmp_path, db_env, configure=configure) as srv:
        name = unique()
        await srv.create_instance(name, number=uuid.uuid4().hex[:12])
        sent = await srv.client.post(
            f"/message/sendText/{name}", headers=srv.headers(), json={"number": "5511999990000", "text": "hi\x00there"}
        )
        assert sent.status_code == 201, sent.text
        assert sinks[0].stored_when_emitted == [True]

        refused = await srv.client.post(
            f"/message/sendText/{name}", headers=srv.headers(), json={"number": "5511999990000", "text": "   "}
        )
        assert refused.status_code == 400
        assert len(sinks[0].of(names.SEND_MESSAGE, name)) == 1
        found = await srv.client.post(f"/chat/findMessages/{name}", headers=srv.headers(), json={})
        records = found.json()["messages"]["records"]
        assert [r["message"]["conversation"] for r in records] == ["hithere"]  # stored safe (no NUL)
