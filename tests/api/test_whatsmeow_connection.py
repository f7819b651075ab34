"""WHATSAPP-BAILEYS connection lifecycle through the /instance routes, on a real server whose channel
runs on the fake neonize client (tests/support/fake_neonize.py)."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from pathlib import Path

from neonize.proto.Neonize_pb2 import Connected
from PIL import Image

from tests.support.fake_neonize import FakeClient
from tests.support.server import unique
from tests.support.whatsmeow import (
    FAKE_ENV,
    client_of,
    create,
    device_stored,
    eventually,
    open_instance,
    record,
    state,
)


async def test_connect_renders_qr_then_pairs_open(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id = await create(srv, name)
        assert await state(srv, name) == "close"

        connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
        client = await client_of(instance_id)
        await client.push_qr("2@payload,key1,key2,key3")
        body = (await connecting).json()
        assert set(body) == {"pairingCode", "code", "base64", "count"}
        assert body["pairingCode"] is None and body["code"] == "2@payload,key1,key2,key3" and body["count"] == 1
        assert body["base64"].startswith("data:image/png;base64,")
        picture = Image.open(io.BytesIO(base64.b64decode(body["base64"].split(",", 1)[1]))).convert("RGB")
        colors = picture.getcolors(1 << 16)
        assert colors is not None and (0x19, 0x87, 0x54) in {color for _n, color in colors}  # QRCODE_COLOR
        assert await state(srv, name) == "connecting"
        assert client.calls_of("connect") == [((None,), {})]  # no proxy configured
        assert client.device_props.os == "Evolution API" and client.device_props.requireFullSync is False

        # while connecting, connect answers the current QR without dialing again
        again = await srv.client.get(f"/instance/connect/{name}", headers=srv.headers())
        assert again.json() == body
        assert len(FakeClient.all_of(instance_id)) == 1

        qr_event = sink.of("qrcode.updated", name)[-1]
        assert qr_event == {
            "qrcode": {"instance": name, "pairingCode": None, "code": body["code"], "base64": body["base64"]}
        }
        assert sink.of("connection.update", name)[0] == {"instance": name, "state": "connecting", "statusReason": 200}

        await client.pair()
        await eventually(lambda: srv.services.registry.require(name).channel.state == "open")
        opened = (await sink.wait_for("connection.update", name, count=2))[-1]
        assert opened == {
            "instance": name,
            "wuid": "5511999990000@s.whatsapp.net",
            "profileName": "Loja Centro",
            "profilePictureUrl": "https://pps.whatsapp.net/v/t61/fake.jpg",
            "state": "open",
            "statusReason": 200,
        }
        assert await state(srv, name) == "open"
        listed = (
            await srv.client.get("/instance/fetchInstances", params={"instanceName": name}, headers=srv.headers())
        ).json()
        assert listed[0]["connectionStatus"] == "open"
        assert listed[0]["ownerJid"] == "5511999990000@s.whatsapp.net"
        assert listed[0]["profileName"] == "Loja Centro"
        opened_again = await srv.client.get(f"/instance/connect/{name}", headers=srv.headers())
        assert opened_again.json() == {"instance": {"instanceName": name, "state": "open"}}
        # alwaysOnline is off: the account is announced unavailable so the phone keeps notifications
        assert [args[0].value for args, _ in client.calls_of("send_presence")] == [b"unavailable"]


async def test_qrcode_limit_closes_the_session(server_factory) -> None:
    async with server_factory(QRCODE_LIMIT="2", **FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id = await create(srv, name)
        connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
        client = await client_of(instance_id)
        await client.push_qr("2@one")
        await connecting
        await client.push_qr("2@two")
        assert srv.services.registry.require(name).channel.qrcode.count == 2
        await client.push_qr("2@three")
        assert await state(srv, name) == "close"
        assert sink.of("qrcode.updated", name)[-1] == {
            "message": "QR code limit reached, please login again",
            "statusCode": 500,
        }
        refused = sink.of("connection.update", name)[-1]
        assert refused["state"] == "refused" and refused["statusReason"] == 428
        await eventually(lambda: "stop" in client.names())
        # a new connect starts over with a fresh count
        again = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
        second = await client_of(instance_id, count=2)
        await second.push_qr("2@again")
        assert (await again).json()["count"] == 1


async def test_pairing_code_with_number(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id = await create(srv, name)
        connecting = asyncio.create_task(
            srv.client.get(f"/instance/connect/{name}", params={"number": "+55 11 98888-7777"}, headers=srv.headers())
        )
        client = await client_of(instance_id)
        await client.push_qr("2@with-number")
        body = (await connecting).json()
        assert body["pairingCode"] == "WZYEH1YY" and body["count"] == 1
        ((args, _kwargs),) = client.calls_of("PairPhone")
        assert args[0] == "5511988887777" and args[1] is True
        assert sink.of("qrcode.updated", name)[-1]["qrcode"]["pairingCode"] == "WZYEH1YY"


async def test_logout_restart_and_errors(server_factory, tmp_path: Path) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id, client = await open_instance(srv, name)
        assert await device_stored(srv, instance_id) == "5511999990000:1@s.whatsapp.net"

        restarted = await srv.client.post(f"/instance/restart/{name}", headers=srv.headers())
        assert restarted.status_code == 200
        assert "stop" in client.names()
        second = await client_of(instance_id, count=2)
        assert await state(srv, name) == "connecting"
        await second.push(Connected(status=True))
        await eventually(lambda: srv.services.registry.require(name).channel.state == "open")

        out = await srv.client.delete(f"/instance/logout/{name}", headers=srv.headers())
        assert out.status_code == 200
        assert out.json() == {"status": "SUCCESS", "error": False, "response": {"message": "Instance logged out"}}
        assert "logout" in second.names()
        assert await state(srv, name) == "close"
        assert await device_stored(srv, instance_id) is None
        tail = sink.names(name)[-4:]
        assert tail == ["connection.update", "status.instance", "logout.instance", "connection.update"]
        assert sink.of("connection.update", name)[-1] == {"instance": name, "state": "close", "statusReason": 401}

        again = await srv.client.delete(f"/instance/logout/{name}", headers=srv.headers())
        assert again.status_code == 400
        assert again.json()["response"]["message"] == [f'The "{name}" instance is not connected']
        closed_restart = await srv.client.post(f"/instance/restart/{name}", headers=srv.headers())
        assert closed_restart.json() == {"error": True, "message": f'The "{name}" instance is not connected'}


async def test_session_resumes_after_server_restart(server_factory) -> None:
    name = unique()
    async with server_factory(**FAKE_ENV) as srv:
        instance_id, first = await open_instance(srv, name)
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        resumed = await client_of(instance_id, count=2)
        assert resumed is not first
        assert await state(srv, name) == "connecting"
        await resumed.push(Connected(status=True))
        await eventually(lambda: srv.services.registry.require(name).channel.state == "open")
        assert sink.of("qrcode.updated", name) == []  # no new QR was needed


async def test_proxy_is_passed_to_the_dial(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        instance_id = await create(srv, name)
        saved = await srv.client.post(
            f"/proxy/set/{name}",
            headers=srv.headers(),
            json={
                "enabled": True,
                "host": "10.0.0.9",
                "port": "3128",
                "protocol": "http",
                "username": "u",
                "password": "p",
            },
        )
        assert saved.status_code in (200, 201), saved.text
        connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
        client = await client_of(instance_id)
        await client.push_qr("2@proxy")
        await connecting
        ((args, _),) = client.calls_of("connect")
        assert args[0].proxy_address == "http://u:p@10.0.0.9:3128"


async def test_failed_dials_retry_with_backoff_then_give_up(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id = await create(srv, name)
        FakeClient.presets[instance_id] = {"connect_error": "dial tcp: lookup web.whatsapp.com: no such host"}
        response = await srv.client.get(f"/instance/connect/{name}", headers=srv.headers())
        assert response.status_code == 200
        # a fresh pairing retries a few times (WHATSMEOW_QR_DIAL_ATTEMPTS=3), then reports close
        await eventually(lambda: sink.of("connection.update", name)[-1]["state"] == "close")
        assert srv.services.registry.require(name).channel.state == "close"
        assert len(FakeClient.all_of(instance_id)) == 3
        assert sink.of("connection.update", name)[-1] == {"instance": name, "state": "close", "statusReason": 408}
        assert (await srv.client.get("/")).status_code == 200


async def test_stored_session_keeps_retrying_while_offline(server_factory) -> None:
    name = unique()
    async with server_factory(**FAKE_ENV) as srv:
        instance_id, _client = await open_instance(srv, name)
    FakeClient.presets[instance_id] = {"connect_error": "dial tcp: no such host"}
    async with server_factory(**FAKE_ENV) as srv:
        await client_of(instance_id, count=6)  # 1 before the restart + at least 5 retries
        assert await state(srv, name) == "connecting"
        FakeClient.presets.pop(instance_id)
        latest = await client_of(instance_id, count=len(FakeClient.all_of(instance_id)) + 1)
        await latest.push(Connected(status=True))
        await eventually(lambda: srv.services.registry.require(name).channel.state == "open")


async def test_stalled_dial_blocks_neither_api_nor_shutdown(server_factory) -> None:
    started = 0.0
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        instance_id = await create(srv, name)
        FakeClient.presets[instance_id] = {"stall_seconds": 6.0}
        response = await srv.client.get(f"/instance/connect/{name}", headers=srv.headers())
        assert response.json() == {"count": 0}
        begin = time.monotonic()
        assert await state(srv, name) == "connecting"
        fetched = await srv.client.get("/instance/fetchInstances", headers=srv.headers())
        assert fetched.status_code == 200
        assert time.monotonic() - begin < 1.0
        started = time.monotonic()
    assert time.monotonic() - started < 5.5  # the blocked stop() is left behind, shutdown goes on
    FakeClient.presets.pop(instance_id, None)


async def test_watchdog_reconnects_a_silent_open_instance(server_factory) -> None:
    async with server_factory(WHATSMEOW_WATCHDOG_SECONDS="0.3", **FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id, client = await open_instance(srv, name)
        client.answers["is_connected"] = False  # the socket died without an event
        second = await client_of(instance_id, count=2)
        assert "is_connected" in client.names() and "stop" in client.names()
        assert sink.of("connection.update", name)[-1]["state"] == "connecting"
        await second.push(Connected(status=True))
        await eventually(lambda: srv.services.registry.require(name).channel.state == "open")


async def test_set_presence(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        closed = unique()
        await create(srv, closed)
        refused = await srv.client.post(
            f"/instance/setPresence/{closed}", headers=srv.headers(), json={"presence": "available"}
        )
        assert refused.status_code == 400
        _id, client = await open_instance(srv, name)
        response = await srv.client.post(
            f"/instance/setPresence/{name}", headers=srv.headers(), json={"presence": "available"}
        )
        assert response.status_code == 201 and response.json() == {"presence": "available"}
        assert client.calls_of("send_presence")[-1][0][0].value == b"available"


async def test_delete_removes_the_session_file(server_factory, tmp_path: Path) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        instance_id, client = await open_instance(srv, name)
        deleted = await srv.client.delete(f"/instance/delete/{name}", headers=srv.headers())
        assert deleted.status_code == 200
        assert "logout" in client.names()
        assert not (tmp_path / "sessions" / f"{instance_id}.db").exists()
        assert await device_stored(srv, instance_id) is None


async def test_qr_session_is_renewed_when_whatsmeow_stops_offering_codes(server_factory) -> None:
    async with server_factory(WHATSMEOW_QR_TIMEOUT_SECONDS="0.3", **FAKE_ENV) as srv:
        name = unique()
        instance_id = await create(srv, name)
        connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
        first = await client_of(instance_id)
        await first.push_qr("2@first")
        await connecting
        second = await client_of(instance_id, count=2)  # no new QR for 0.3 s: a new QR session
        assert "stop" in first.names()
        assert await state(srv, name) == "connecting"
        await second.push_qr("2@second")
        assert srv.services.registry.require(name).channel.qrcode.count == 2  # the count goes on


async def test_delete_during_a_stalled_dial_answers_quickly(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        instance_id = await create(srv, name)
        FakeClient.presets[instance_id] = {"stall_seconds": 4.0}
        await srv.client.get(f"/instance/connect/{name}", headers=srv.headers())
        begin = time.monotonic()
        deleted = await srv.client.delete(f"/instance/delete/{name}", headers=srv.headers())
        assert deleted.status_code == 200
        # no device was linked: nothing to revoke, and the blocked stop is not waited for past its bound
        assert "logout" not in FakeClient.of(instance_id).names()
        assert time.monotonic() - begin < 6.0
        gone = await srv.client.get(f"/instance/connectionState/{name}", headers=srv.headers())
        assert gone.status_code == 404
        FakeClient.presets.pop(instance_id, None)


async def test_dropped_socket_unlinked_device_and_replaced_stream(server_factory, tmp_path: Path) -> None:
    from neonize.proto.Neonize_pb2 import Disconnected, LoggedOut, StreamReplaced

    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id, client = await open_instance(srv, name)
        # whatsmeow reconnects a dropped socket on its own: connecting, then open again
        await client.push(Disconnected(status=True))
        assert await state(srv, name) == "connecting"
        await client.push(Connected(status=True))
        assert await state(srv, name) == "open"
        assert [e["state"] for e in sink.of("connection.update", name)] == ["connecting", "open"] * 2
        assert len(FakeClient.all_of(instance_id)) == 1  # no new client for that

        # the device is unlinked from the phone: the session is gone for good
        await client.push(LoggedOut(OnConnect=False, Reason=2))  # ConnectFailureReason.LOGGED_OUT
        assert await state(srv, name) == "close"
        assert await device_stored(srv, instance_id) is None
        assert sink.names(name)[-3:] == ["status.instance", "logout.instance", "connection.update"]
        assert sink.of("connection.update", name)[-1] == {"instance": name, "state": "close", "statusReason": 401}
        status = sink.of("status.instance", name)[-1]
        assert status["instance"] == name and status["status"] == "closed"
        assert status["disconnectionReasonCode"] == 401
        listed = await srv.client.get("/instance/fetchInstances", params={"instanceName": name}, headers=srv.headers())
        assert listed.json()[0]["disconnectionReasonCode"] == 401

        other = unique()
        other_id, second = await open_instance(srv, other)
        await second.push(StreamReplaced())
        assert await state(srv, other) == "close"
        assert sink.of("connection.update", other)[-1] == {"instance": other, "state": "close", "statusReason": 440}
        assert await device_stored(srv, other_id) is not None
        assert len(FakeClient.all_of(other_id)) == 1  # and no reconnect fights the other client

        from neonize.proto.Neonize_pb2 import ClientOutdated, TemporaryBan

        third = unique()
        _third_id, third_client = await open_instance(srv, third)
        await third_client.push(TemporaryBan(Code=TemporaryBan.SEND_TO_TOO_MANY_PEOPLE, Expire=3600))
        assert sink.of("connection.update", third)[-1] == {"instance": third, "state": "close", "statusReason": 402}
        fourth = unique()
        _fourth_id, fourth_client = await open_instance(srv, fourth)
        await fourth_client.push(ClientOutdated())
        assert sink.of("connection.update", fourth)[-1] == {"instance": fourth, "state": "close", "statusReason": 405}


async def test_concurrent_connects_dial_once(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        instance_id = await create(srv, name)
        calls = [
            asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers())) for _ in range(5)
        ]
        client = await client_of(instance_id)
        await client.push_qr("2@once")
        answers = [(await call).json() for call in calls]
        assert len(FakeClient.all_of(instance_id)) == 1
        assert len(client.calls_of("connect")) == 1
        assert all(answer.get("count") in (0, 1) for answer in answers)


async def test_executor_grows_with_live_clients(server_factory) -> None:
    from evolution_py.channels.whatsapp_web import threads

    async with server_factory(EXECUTOR_THREADS="8", **FAKE_ENV) as srv:
        before = threads.live_clients()
        names = [unique() for _ in range(12)]
        for name in names:
            await create(srv, name)
            await srv.services.registry.require(name).channel.connect()  # the route waits 2 s for a QR
        await eventually(lambda: threads.live_clients() == before + 12)
        pool = asyncio.get_running_loop()._default_executor  # type: ignore[attr-defined]
        assert pool._max_workers >= 12 + threads.HEADROOM  # grown from EXECUTOR_THREADS=8
        # and it still answers while twelve clients hold their threads
        assert (await srv.client.get("/instance/fetchInstances", headers=srv.headers())).status_code == 200
        for name in names:
            assert (await srv.client.delete(f"/instance/delete/{name}", headers=srv.headers())).status_code == 200
        await eventually(lambda: threads.live_clients() == before)


async def test_watchdog_still_redials_while_events_cannot_be_accepted(server_factory, monkeypatch) -> None:
    """A redial goes on when its connection.update cannot be accepted (the database out of reach):
    before, the error ended the watchdog's task before the new client was dialed, and the instance
    stayed `connecting` on its dead client for good."""
    async with server_factory(WHATSMEOW_WATCHDOG_SECONDS="0.3", **FAKE_ENV) as srv:
        name = unique()
        instance_id, client = await open_instance(srv, name)
        bus = srv.services.bus
        publish_all = bus.publish_all

        async def refusing(events, **kwargs):
            if any(event.event == "connection.update" for event in events):
                raise RuntimeError("the database is out of reach")
            return await publish_all(events, **kwargs)

        monkeypatch.setattr(bus, "publish_all", refusing)
        client.answers["is_connected"] = False  # the socket died without an event
        second = await client_of(instance_id, count=2)
        assert "stop" in client.names()
        monkeypatch.setattr(bus, "publish_all", publish_all)
        await second.push(Connected(status=True))
        await eventually(lambda: srv.services.registry.require(name).channel.state == "open")
