"""The manager in a real headless Chromium on a phone-sized window: log in, create an EVOLUTION
instance and see it open, set a webhook, send a message, watch a live event arrive, replay a dead
letter; a WhatsApp Web instance on the fake client shows its QR and turns open after the scan.
Screenshots of every step land in `test-output/screenshots/<test>/` (SCREENSHOTS_DIR elsewhere):
pytest's own tmp folders are shared and rotated by every concurrent run."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from evolution_py.sinks.webhook.testing import Receiver
from tests.ops.browser import CHROMEDRIVER, CHROMIUM, Browser
from tests.support.fake_neonize import FakeClient
from tests.support.server import TEST_API_KEY, RunningServer, unique
from tests.support.whatsmeow import FAKE_ENV, client_of, eventually

pytestmark = [
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver"),
    pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True),
]

SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or Path(__file__).parents[2] / "test-output" / "screenshots")

ENV = {
    **FAKE_ENV,
    "WEBSOCKET_ENABLED": "true",
    "WEBHOOK_RETRY_INITIAL_DELAY_SECONDS": "0.05",
    "WEBHOOK_RETRY_MAX_ATTEMPTS": "2",
}


async def inbound(srv: RunningServer, token: str, number: str, text: str) -> None:
    body = {
        "numberId": number,
        "key": {"remoteJid": "5511888887777@s.whatsapp.net", "fromMe": False, "id": uuid.uuid4().hex},
        "pushName": "Ana",
        "message": {"conversation": text},
    }
    answer = await srv.client.post("/webhook/evolution", json=body, headers=srv.headers(token))
    assert answer.status_code == 200, answer.text


async def test_manager_drives_an_evolution_instance_end_to_end(server_factory: Any) -> None:
    shots = SHOTS / "evolution-instance"
    for old in shots.glob("*.png"):
        old.unlink()
    browser = Browser(shots)
    try:
        async with Receiver() as receiver, server_factory(**ENV) as srv:
            name, number = unique("m"), "55119" + str(uuid.uuid4().int)[:8]
            await browser.open(f"{srv.base_url}/manager")
            await browser.type("#login-key", TEST_API_KEY)
            await browser.shot("login")
            await browser.click("#login-form button[type=submit]")
            await browser.find("#list-view #create-box")
            await browser.click("#create-box summary")
            await browser.type("#c-name", name)
            await browser.select("#c-integration", "EVOLUTION")
            await browser.type("#c-number", number)
            await browser.shot("create")
            await browser.click("#create-form button[type=submit]")
            await browser.text_in("#i-title", name)
            await browser.text_in("#i-state", "open")
            await browser.shot("instance-open")

            await browser.click("[data-tab=webhook]")
            await browser.check("#f-enabled")
            await browser.type("#f-url", receiver.url)
            await browser.type("#f-events", "MESSAGES_UPSERT, SEND_MESSAGE")
            await browser.click("#tab button[type=submit]")
            await browser.text_in("#status", "Saved")
            found = (await srv.client.get(f"/webhook/find/{name}", headers=srv.headers())).json()
            assert found["enabled"] is True and found["url"] == receiver.url
            assert sorted(found["events"]) == ["MESSAGES_UPSERT", "SEND_MESSAGE"]
            await browser.shot("webhook-set")

            await browser.click("[data-tab=send]")
            await browser.type("#f-number", "5511888887777")
            await browser.type("#f-text", "sent from the manager")
            await browser.click("#tab button[type=submit]")
            await browser.text_in("#status", "Sent")
            await receiver.wait_for(lambda r: any(q.body["event"] == "send.message" for q in r.requests), within=10)
            await browser.shot("sent")

            await browser.click("[data-tab=websocket]")
            await browser.check("#f-enabled")
            await browser.click("#tab button[type=submit]")
            await browser.text_in("#status", "Saved")
            await browser.click("[data-tab=events]")
            await browser.text_in("#tab p", "Listening")
            token = next(r.token for r in srv.services.registry.all() if r.name == name)
            assert token
            await inbound(srv, token, number, "live hello")
            await browser.text_in("#events-log", "messages.upsert")
            await browser.text_in("#events-log", "live hello")
            await browser.shot("live-event")

            receiver.status = 404  # refused for good: the next delivery becomes a dead letter
            await inbound(srv, token, number, "kept for later")
            await srv.services.bus.drain()
            await browser.click("[data-tab=dead]")
            await browser.text_in("#tab p", "1 dead letter(s)")
            await browser.shot("dead-letter")
            receiver.status = 200
            delivered = len(receiver.requests)
            await browser.click("#tab td button")
            await browser.text_in("#status", "Replayed 1")
            await receiver.wait_for(lambda r: len(r.requests) == delivered + 1, within=10)
            assert receiver.requests[-1].body["data"]["message"] == {"conversation": "kept for later"}
            await browser.text_in("#tab p", "0 dead letter(s)")
            await browser.shot("replayed")
    except Exception:
        await browser.shot("failure")
        raise
    finally:
        await asyncio.to_thread(browser.quit)
    assert len(list(shots.glob("*.png"))) == 8


async def test_manager_shows_a_whatsapp_web_qr_until_the_scan_opens_it(server_factory: Any) -> None:
    browser = Browser(SHOTS / "whatsapp-web-qr")
    try:
        async with server_factory(**ENV) as srv:
            name = unique("q")
            await browser.open(f"{srv.base_url}/manager")
            await browser.type("#login-key", TEST_API_KEY)
            await browser.click("#login-form button[type=submit]")
            await browser.click("#create-box summary")
            await browser.type("#c-name", name)
            await browser.select("#c-integration", "WHATSAPP-BAILEYS")
            await browser.click("#create-form button[type=submit]")
            await browser.text_in("#i-title", name)
            instance_id = srv.services.registry.require(name).id
            client = await client_of(instance_id)
            await client.push_qr("2@fake-qr-payload,abc,def,ghi")
            qr = await browser.find("#qr", within=15)
            assert str(await browser.run(qr.get_attribute, "src")).startswith("data:image/png;base64,")
            await browser.text_in("#i-state", "connecting")
            await browser.shot("qr")
            await client.pair()
            await eventually(lambda: srv.services.registry.require(name).channel.state == "open")
            await browser.text_in("#i-state", "open")
            hidden = await browser.run(browser.driver.execute_script, "return document.querySelector('#qr-box').hidden")
            assert hidden is True
            await browser.shot("scanned-open")
            FakeClient.presets.pop(instance_id, None)
    except Exception:
        await browser.shot("failure")
        raise
    finally:
        await asyncio.to_thread(browser.quit)
