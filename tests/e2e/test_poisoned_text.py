"""Outside text that one database refuses (NUL, lone surrogates, over-long names) must never stall
the event bus nor answer 500: a webhook receiver answering 500 with a NUL in its body, a message
text or push name with a NUL. Real bus, real local receiver, SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from aiohttp import web
from sqlalchemy import select

from evolution_py.store.models import EventDelivery
from tests.support.server import RunningServer, free_port, unique

FAST_RETRY = {
    "WEBHOOK_RETRY_INITIAL_DELAY_SECONDS": "0.05",
    "WEBHOOK_RETRY_MAX_DELAY_SECONDS": "0.1",
    "WEBHOOK_RETRY_JITTER_FACTOR": "0",
    "WEBHOOK_RETRY_MAX_ATTEMPTS": "3",
}
POISON = b"boom\x00 \xff\xfe" + "caf\u00e9".encode() + b"\r\n\x1b[31m" + b"x" * 5000


class Answers:
    """A real HTTP receiver: `/bad/...` answers 500 with a NUL in its body, anything else 200."""

    def __init__(self) -> None:
        self.port = free_port()
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.path, await request.json()))
        if request.path.startswith("/bad"):
            return web.Response(status=500, body=POISON, content_type="text/plain")
        return web.Response(text="ok")

    async def __aenter__(self) -> Answers:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for seen_path, body in self.seen if seen_path == path]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: condition not met in {within}s; got {[p for p, _ in self.seen]}")
            await asyncio.sleep(0.02)


async def send_text(srv: RunningServer, name: str, text: str) -> httpx.Response:
    # Bounded: a stalled outbox writer makes the publish behind a send wait forever.
    return await asyncio.wait_for(
        srv.client.post(
            f"/message/sendText/{name}", json={"number": "5511777776666", "text": text}, headers=srv.headers()
        ),
        timeout=10,
    )


async def pending_rows(srv: RunningServer) -> int:
    async with srv.services.db.session() as session:
        rows = (await session.execute(select(EventDelivery.id).where(EventDelivery.status == "pending"))).all()
    return len(rows)


async def test_a_nul_in_a_receiver_answer_stalls_no_one(server_factory: Any) -> None:
    async with Answers() as rx, server_factory(**FAST_RETRY) as srv:
        bad, good = unique(), unique()
        await srv.create_instance(bad, webhook={"url": rx.url + "/bad", "events": ["SEND_MESSAGE"]})
        await srv.create_instance(good, webhook={"url": rx.url + "/good", "events": ["SEND_MESSAGE"]})

        assert (await send_text(srv, bad, "to a broken receiver")).status_code == 201
        await rx.wait_for(lambda: len(rx.bodies("/bad")) == 3)  # every attempt answered 500 + NUL
        await asyncio.sleep(0.3)  # the writer stores the retries and the dead mark meanwhile

        # Another tenant's events are still accepted (committed) and delivered, several times over.
        for n in range(3):
            answer = await send_text(srv, good, f"still flowing {n}")
            assert answer.status_code == 201, answer.text
        await rx.wait_for(lambda: len(rx.bodies("/good")) == 3)
        await asyncio.wait_for(srv.services.bus.drain(), timeout=10)
        assert await pending_rows(srv) == 0

        dead = (await srv.client.get(f"/events/dead/{bad}", headers=srv.headers())).json()
        assert dead["total"] == 1
        record = dead["records"][0]
        assert record["attempts"] == 3
        # The status only: none of the answer's body (with its NUL) is stored at all (issue 10 item 3).
        assert record["lastError"] == "HTTP 500 Internal Server Error"

        # And the writer still works after a restart-free minute of life: a replay goes through it too.
        replay = await srv.client.post(f"/events/replay/{bad}", json={"all": True}, headers=srv.headers())
        assert replay.json()["replayed"] == 1
        await rx.wait_for(lambda: len(rx.bodies("/bad")) == 6)
        assert (await send_text(srv, good, "after the replay")).status_code == 201
        await asyncio.wait_for(srv.services.bus.drain(), timeout=10)


async def test_a_nul_in_message_text_and_names_is_stored_and_delivered(server_factory: Any) -> None:
    async with Answers() as rx, server_factory(**FAST_RETRY) as srv:
        name, number = unique(), uuid.uuid4().hex[:12]
        token = (
            await srv.create_instance(
                name, number=number, webhook={"url": rx.url + "/hook", "events": ["SEND_MESSAGE", "MESSAGES_UPSERT"]}
            )
        )["hash"]

        sent = await send_text(srv, name, "hi\x00there")
        assert sent.status_code == 201, sent.text

        jid = "5511988887777@s.whatsapp.net"
        long_name = "An\x00a " + "\U0001f600" * 150  # a NUL and 150 emoji: over the 100-character column
        inbound = await srv.client.post(
            "/webhook/evolution",
            json={
                "numberId": number,
                "key": {"remoteJid": jid, "fromMe": False, "id": "NUL1"},
                "pushName": long_name,
                "message": {"conversation": "in\x00bound", "nested": [{"k\x00ey": "v\x00"}]},
            },
            headers=srv.headers(token),
        )
        assert inbound.status_code == 200, inbound.text

        await rx.wait_for(lambda: len(rx.bodies("/hook")) == 2)
        await asyncio.wait_for(srv.services.bus.drain(), timeout=10)
        assert await pending_rows(srv) == 0
        delivered = {body["event"]: body["data"] for body in rx.bodies("/hook")}
        assert delivered["send.message"]["message"]["conversation"] == "hithere"
        assert delivered["messages.upsert"]["message"] == {"conversation": "inbound", "nested": [{"key": "v"}]}

        found = await srv.client.post(f"/chat/findMessages/{name}", headers=srv.headers(token), json={})
        assert found.status_code == 200, found.text
        texts = sorted(r["message"]["conversation"] for r in found.json()["messages"]["records"])
        assert texts == ["hithere", "inbound"]
        contacts = (await srv.client.post(f"/chat/findContacts/{name}", headers=srv.headers(token), json={})).json()
        push_name = contacts[0]["pushName"]
        assert push_name.startswith("Ana \U0001f600") and len(push_name) <= 100
