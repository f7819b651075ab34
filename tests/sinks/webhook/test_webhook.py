"""`/webhook/set|find` and webhook delivery with upstream's rules, against a real local receiver."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from typing import Any

import pytest

from evolution_py.config import ConfigError
from evolution_py.sinks.webhook.testing import Receiver
from tests.support.server import RunningServer, unique


def number() -> str:
    return "55119" + str(uuid.uuid4().int)[:8]


async def inbound(srv: RunningServer, num: str, text: str = "hi", jid: str = "5511888887777@s.whatsapp.net") -> None:
    body = {
        "numberId": num,
        "key": {"remoteJid": jid, "fromMe": False, "id": uuid.uuid4().hex},
        "pushName": "Ana",
        "message": {"conversation": text},
    }
    # The instance's own token, found by its number (POST /webhook/evolution requires it).
    token = next(runtime.token for runtime in srv.services.registry.all() if runtime.number == num)
    response = await srv.client.post("/webhook/evolution", json=body, headers=srv.headers(token))
    assert response.status_code == 200, response.text


async def set_webhook(srv: RunningServer, name: str, key: str | None = None, **block: Any) -> Any:
    return await srv.client.post(f"/webhook/set/{name}", json={"webhook": block}, headers=srv.headers(key))


async def test_set_and_find_store_upstream_row(server: RunningServer) -> None:
    name = unique()
    created = await server.create_instance(name)
    assert (await server.client.get(f"/webhook/find/{name}", headers=server.headers())).json() is None

    response = await set_webhook(
        server,
        name,
        enabled=True,
        url="http://example.com/hook",
        events=["MESSAGES_UPSERT", "SEND_MESSAGE"],
        headers={"x-a": "1"},
        byEvents=True,
        base64=True,
    )
    assert response.status_code == 201, response.text
    row = response.json()
    assert set(row) == {
        "id",
        "url",
        "headers",
        "enabled",
        "events",
        "webhookByEvents",
        "webhookBase64",
        "createdAt",
        "updatedAt",
        "instanceId",
    }
    assert row["url"] == "http://example.com/hook"
    assert row["events"] == ["MESSAGES_UPSERT", "SEND_MESSAGE"]
    assert row["webhookByEvents"] is True and row["webhookBase64"] is True
    assert row["instanceId"] == created["instance"]["instanceId"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["createdAt"])

    # Upsert: one row per instance; enabled with [] stores all 31 keys, disabled stores [].
    again = (
        await set_webhook(server, name, created["hash"], enabled=True, url="http://example.com/2", events=[])
    ).json()
    assert again["id"] == row["id"] and len(again["events"]) == 31
    # A missing `events` means all events, as in /instance/create (upstream answers a 500).
    implicit = (await set_webhook(server, name, enabled=True, url="http://example.com/2")).json()
    assert len(implicit["events"]) == 31
    off = (await set_webhook(server, name, enabled=False, url="http://example.com/2", events=["CALL"])).json()
    assert off["events"] == [] and off["enabled"] is False
    found = await server.client.get(f"/webhook/find/{name}", headers=server.headers(created["hash"]))
    assert found.status_code == 200 and found.json()["id"] == row["id"] and found.json()["enabled"] is False


async def test_set_rejects_bad_input_with_upstream_envelope(server: RunningServer) -> None:
    name = unique()
    other = await server.create_instance(unique())
    await server.create_instance(name)

    async def bad(body: Any, key: str | None = None) -> tuple[int, Any]:
        response = await server.client.post(f"/webhook/set/{name}", json=body, headers=server.headers(key))
        return response.status_code, response.json()

    status, body = await bad({"webhook": {"enabled": True, "events": []}})
    assert status == 400 and body["response"]["message"] == [['webhook requires property "url"']]
    status, body = await bad({"webhook": {"enabled": "yes", "url": "http://x", "events": []}})
    assert status == 400 and body["response"]["message"] == [["webhook.enabled is not of a type(s) boolean"]]
    status, body = await bad({"webhook": {"enabled": True, "url": "http://x", "events": ["NOPE"]}})
    assert status == 400 and "NOPE is not one of enum values" in body["response"]["message"][0]
    status, body = await bad({})
    assert status == 400 and body["response"]["message"] == [['instance requires property "webhook"']]
    status, body = await bad({"webhook": {"enabled": True, "url": "http://x", "headers": {"bad name": "1"}}})
    assert status == 400 and body["response"]["message"] == ["webhook.headers: 'bad name' is not a valid header name"]
    status, body = await bad({"webhook": {"enabled": True, "url": "http://x", "headers": {"x-a": "1\r\nx-b: 2"}}})
    assert status == 400 and "contains a line break" in body["response"]["message"][0]
    created = await server.client.post(
        "/instance/create",
        json={
            "instanceName": unique(),
            "integration": "EVOLUTION",
            "webhook": {"url": "http://x", "headers": {"a b": 1}},
        },
        headers=server.headers(),
    )
    assert created.status_code == 400 and "not a valid header name" in created.json()["response"]["message"][0]
    status, body = await bad({"webhook": {"enabled": True, "url": "http://x", "events": []}}, other["hash"])
    assert status == 401 and body == {"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}}
    missing = await server.client.get("/webhook/find/nobody-here", headers=server.headers())
    assert missing.status_code == 404
    assert missing.json()["response"]["message"] == ['The "nobody-here" instance does not exist']
    # Nothing was stored by any of the refused calls.
    assert (await server.client.get(f"/webhook/find/{name}", headers=server.headers())).json() is None


def jwt_claims(token: str, secret: str) -> dict[str, Any]:
    header, payload, signature = token.split(".")
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "==") == expected
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    return json.loads(base64.urlsafe_b64decode(payload + "=="))  # type: ignore[no-any-return]


async def test_instance_webhook_delivers_upstream_envelope(server: RunningServer) -> None:
    async with Receiver() as receiver:
        name, num = unique(), number()
        await server.create_instance(name, number=num)
        await set_webhook(
            server,
            name,
            enabled=True,
            url=receiver.url + "/base",
            events=[],
            byEvents=True,
            headers={"x-tenant": "t1", "jwt_key": "s3cret"},
        )
        await inbound(server, num, "hello")
        sent = await server.client.post(
            f"/message/sendText/{name}", json={"number": "5511777776666", "text": "out"}, headers=server.headers()
        )
        assert sent.status_code == 201, sent.text
        await receiver.wait_for(lambda r: len(r.events("send.message")) == 1 and len(r.events("chats.upsert")) == 1)

        upsert = receiver.events("messages.upsert")[0]
        assert upsert.path == "/base/messages-upsert"
        body = upsert.body
        assert list(body) == ["event", "instance", "data", "destination", "date_time", "server_url", "apikey"]
        assert body["instance"] == name and body["destination"] == receiver.url + "/base"
        assert body["apikey"] is None and body["server_url"] == server.base_url
        assert body["data"]["message"] == {"conversation": "hello"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["date_time"])
        assert upsert.headers["x-tenant"] == "t1" and "jwt_key" not in upsert.headers
        assert upsert.headers["Content-Type"] == "application/json"
        claims = jwt_claims(upsert.headers["Authorization"].removeprefix("Bearer "), "s3cret")
        assert claims["app"] == "evolution" and claims["action"] == "webhook"
        assert claims["exp"] - claims["iat"] == 600 and abs(claims["iat"] - time.time()) < 30
        assert re.fullmatch(r"[0-9a-f]{32}", upsert.event_id)

        paths = {r.path for r in receiver.requests}
        assert {"/base/contacts-upsert", "/base/chats-upsert", "/base/send-message"} <= paths
        assert receiver.events("send.message")[0].body["data"]["key"]["id"] == sent.json()["key"]["id"]
        # Every delivery carries its own event id, and nothing came twice.
        ids = [r.event_id for r in receiver.requests]
        assert len(ids) == len(set(ids))


async def test_event_list_filters_and_disabled_row_sends_nothing(server: RunningServer) -> None:
    async with Receiver() as receiver:
        name, num = unique(), number()
        await server.create_instance(name, number=num)
        await set_webhook(server, name, enabled=True, url=receiver.url, events=["SEND_MESSAGE"])
        await inbound(server, num)
        await server.client.post(
            f"/message/sendText/{name}", json={"number": "5511777776666", "text": "x"}, headers=server.headers()
        )
        await receiver.wait_for(lambda r: len(r.requests) >= 1)
        await server.services.bus.drain()
        assert [r.body["event"] for r in receiver.requests] == ["send.message"]
        assert receiver.requests[0].path == "/"

        await set_webhook(server, name, enabled=False, url=receiver.url, events=[])
        await server.client.post(
            f"/message/sendText/{name}", json={"number": "5511777776666", "text": "y"}, headers=server.headers()
        )
        await server.services.bus.drain()
        assert len(receiver.requests) == 1


async def test_global_webhook_and_remove_instance_after_delete(server_factory: Any) -> None:
    async with Receiver() as global_rx, Receiver() as instance_rx:
        env = {
            "WEBHOOK_GLOBAL_ENABLED": "true",
            "WEBHOOK_GLOBAL_URL": global_rx.url + "/g",
            "WEBHOOK_GLOBAL_WEBHOOK_BY_EVENTS": "false",
            "WEBHOOK_EVENTS_INSTANCE_CREATE": "true",
            "WEBHOOK_EVENTS_INSTANCE_DELETE": "true",
            "WEBHOOK_EVENTS_MESSAGES_UPSERT": "1",  # upstream: only the exact word `true` turns a flag on
        }
        async with server_factory(**env) as srv:
            name, num = unique(), number()
            created = await srv.create_instance(
                name, number=num, webhook={"url": instance_rx.url, "events": ["REMOVE_INSTANCE", "INSTANCE_DELETE"]}
            )
            await global_rx.wait_for(lambda r: len(r.events("instance.create")) == 1)
            create = global_rx.events("instance.create")[0]
            assert create.path == "/g"
            # The instance has a row, so `destination` is the row's bare url (upstream).
            assert create.body["destination"] == instance_rx.url
            assert create.body["data"] == {"instanceName": name, "instanceId": created["instance"]["instanceId"]}
            await inbound(srv, num)
            deleted = await srv.client.delete(f"/instance/delete/{name}", headers=srv.headers())
            assert deleted.status_code == 200, deleted.text
            await instance_rx.wait_for(lambda r: len(r.events("remove.instance")) == 1)
            await global_rx.wait_for(lambda r: len(r.events("instance.delete")) == 1)
            await srv.services.bus.drain()
            # remove.instance reached the per-instance webhook after the instance rows were deleted;
            # it has no global flag, and messages.upsert's flag was not exactly `true`.
            assert {r.body["event"] for r in global_rx.requests} == {"instance.create", "instance.delete"}
            assert [r.body["event"] for r in instance_rx.requests] == ["instance.delete", "remove.instance"]
            assert instance_rx.events("remove.instance")[0].body["data"] is None


async def test_retries_then_delivers_with_the_same_event_id(server_factory: Any) -> None:
    async with Receiver(status=lambda n: 200) as receiver:
        attempts: list[int] = []

        def flaky(count: int) -> int:
            attempts.append(count)
            return 503 if len(attempts) <= 2 else 200

        receiver.status = flaky
        async with server_factory(WEBHOOK_RETRY_INITIAL_DELAY_SECONDS="0.05", WEBHOOK_RETRY_JITTER_FACTOR="0") as srv:
            name = unique()
            await srv.create_instance(name, webhook={"url": receiver.url, "events": ["INSTANCE_CREATE"]})
            await receiver.wait_for(lambda r: len(r.requests) == 1, within=10)
            assert len(attempts) == 3
            assert [status for status, _ in receiver.attempts] == [503, 503, 200]
            assert len({r.event_id for _, r in receiver.attempts}) == 1  # same id on every attempt
            assert len({r.raw for _, r in receiver.attempts}) == 1  # and the same body
            await srv.services.bus.drain()
            dead = await srv.client.get(f"/events/dead/{name}", headers=srv.headers())
            assert dead.json()["total"] == 0


async def test_dead_letters_list_and_replay(server_factory: Any) -> None:
    async with Receiver(status=404) as receiver:
        async with server_factory(WEBHOOK_RETRY_INITIAL_DELAY_SECONDS="0.05", WEBHOOK_RETRY_MAX_ATTEMPTS="3") as srv:
            name, num = unique(), number()
            created = await srv.create_instance(name, number=num, webhook={"url": receiver.url, "events": []})
            other = await srv.create_instance(unique())
            await inbound(srv, num, "lost?")
            await srv.services.bus.drain()

            listed = await srv.client.get(f"/events/dead/{name}", headers=srv.headers(created["hash"]))
            assert listed.status_code == 200, listed.text
            page = listed.json()
            events = sorted(r["event"] for r in page["records"])
            assert events == ["chats.upsert", "contacts.upsert", "instance.create", "messages.upsert"]
            assert page["total"] == 4
            record = next(r for r in page["records"] if r["event"] == "messages.upsert")
            # 404 is non-retryable (upstream's list): dead after one attempt, with the reason.
            assert record["attempts"] == 1 and record["lastError"].startswith("HTTP 404")
            assert record["sink"] == "webhook" and record["target"] == receiver.url
            assert record["payload"]["data"]["message"] == {"conversation": "lost?"}

            # Another instance's token sees nothing of this one; the global listing sees all.
            assert (await srv.client.get(f"/events/dead/{name}", headers=srv.headers(other["hash"]))).status_code == 401
            assert (await srv.client.get("/events/dead", headers=srv.headers(created["hash"]))).status_code == 401
            everything = (await srv.client.get("/events/dead?event=messages.upsert", headers=srv.headers())).json()
            assert everything["total"] == 1

            bad = await srv.client.post(f"/events/replay/{name}", json={}, headers=srv.headers())
            assert bad.status_code == 400
            assert (await srv.client.get(f"/events/dead/{name}?limit=0", headers=srv.headers())).status_code == 400

            # Discarding needs a selection; a discarded letter is gone from the list for good.
            assert (
                await srv.client.request("DELETE", f"/events/dead/{name}", json={}, headers=srv.headers())
            ).status_code == 400
            await inbound(srv, num, "drop me")
            await srv.services.bus.drain()
            listed = (await srv.client.get(f"/events/dead/{name}?event=messages.upsert", headers=srv.headers())).json()
            drop = next(
                r["id"] for r in listed["records"] if r["payload"]["data"]["message"] == {"conversation": "drop me"}
            )
            gone = await srv.client.request(
                "DELETE", f"/events/dead/{name}", json={"ids": [drop]}, headers=srv.headers(created["hash"])
            )
            assert gone.status_code == 200 and gone.json() == {"deleted": 1}
            # The other letters of that message (contacts.upsert, chats.update, chats.upsert) are
            # dropped globally by id.
            extra = [
                r["id"] for r in (await srv.client.get(f"/events/dead/{name}", headers=srv.headers())).json()["records"]
            ]
            extra = [i for i in extra if i not in {r["id"] for r in page["records"]}]
            assert len(extra) == 3
            dropped = await srv.client.request("DELETE", "/events/dead", json={"ids": extra}, headers=srv.headers())
            assert dropped.json() == {"deleted": 3}

            receiver.status = 200
            one = await srv.client.post(f"/events/replay/{name}", json={"ids": [record["id"]]}, headers=srv.headers())
            assert one.status_code == 200 and one.json() == {"replayed": 1, "ids": [record["id"]]}
            await receiver.wait_for(lambda r: len(r.requests) == 1)
            assert receiver.requests[0].body["data"]["message"] == {"conversation": "lost?"}
            assert receiver.requests[0].event_id == record["eventId"]

            rest = await srv.client.post(
                f"/events/replay/{name}", json={"all": True}, headers=srv.headers(created["hash"])
            )
            assert rest.json()["replayed"] == 3
            await receiver.wait_for(lambda r: len(r.requests) == 4)
            await srv.services.bus.drain()
            assert (await srv.client.get(f"/events/dead/{name}", headers=srv.headers())).json()["total"] == 0


async def test_retryable_failures_dead_letter_after_max_attempts(server_factory: Any) -> None:
    async with Receiver(status=500) as receiver:
        env = {"WEBHOOK_RETRY_INITIAL_DELAY_SECONDS": "0.02", "WEBHOOK_RETRY_MAX_ATTEMPTS": "3"}
        async with server_factory(**env) as srv:
            name = unique()
            await srv.create_instance(name, webhook={"url": receiver.url, "events": ["INSTANCE_CREATE"]})
            for _ in range(200):
                page = (await srv.client.get(f"/events/dead/{name}", headers=srv.headers())).json()
                if page["total"]:
                    break
                await asyncio.sleep(0.05)
            assert page["total"] == 1
            assert page["records"][0]["attempts"] == 3
            assert page["records"][0]["lastError"].startswith("HTTP 500")


def verify_standard_webhook(secret: str, headers: dict[str, str], raw: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + raw
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(part == f"v1,{expected}" for part in headers["webhook-signature"].split(" "))


async def test_standard_webhooks_signature(server_factory: Any) -> None:
    global_secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    own_secret = "whsec_" + base64.b64encode(b"o" * 24).decode()
    async with Receiver() as receiver:
        async with server_factory(WEBHOOK_SIGNING_SECRET=global_secret) as srv:
            signed_by_global, own = unique(), unique()
            await srv.create_instance(signed_by_global, webhook={"url": receiver.url + "/a", "events": []})
            await srv.create_instance(
                own, webhook={"url": receiver.url + "/b", "events": [], "headers": {"webhook_secret": own_secret}}
            )
            await receiver.wait_for(lambda r: len(r.requests) == 2)
            by_path = {r.path: r for r in receiver.requests}
            a, b = by_path["/a"], by_path["/b"]
            assert verify_standard_webhook(global_secret, a.headers, a.raw)
            assert verify_standard_webhook(own_secret, b.headers, b.raw)
            assert not verify_standard_webhook(global_secret, b.headers, b.raw)
            assert "webhook_secret" not in b.headers
            assert abs(int(a.headers["webhook-timestamp"]) - time.time()) < 30
    # A malformed secret stops the server at start, naming the variable.
    with pytest.raises(ConfigError, match="WEBHOOK_SIGNING_SECRET"):
        async with server_factory(WEBHOOK_SIGNING_SECRET="not base64!"):
            pass


async def test_private_network_guard(server_factory: Any) -> None:
    async with server_factory(WEBHOOK_BLOCK_PRIVATE_NETWORKS="true") as srv:
        name = unique()
        await srv.create_instance(name)
        for url in (
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://10.1.2.3/x",
            "http://192.168.0.10/x",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/x",
            "http://[::ffff:127.0.0.1]/x",
        ):
            response = await set_webhook(srv, name, enabled=True, url=url, events=[])
            assert response.status_code == 400, url
            message = response.json()["response"]["message"][0]
            assert "WEBHOOK_BLOCK_PRIVATE_NETWORKS" in message and url in message
        assert (await srv.client.get(f"/webhook/find/{name}", headers=srv.headers())).json() is None
        ok = await set_webhook(srv, name, enabled=True, url="http://93.184.216.34/hook", events=[])
        assert ok.status_code == 201

        refused = await srv.client.post(
            "/instance/create",
            json={"instanceName": unique(), "integration": "EVOLUTION", "webhook": {"url": "http://127.0.0.1/h"}},
            headers=srv.headers(),
        )
        assert refused.status_code == 400
        assert "WEBHOOK_BLOCK_PRIVATE_NETWORKS" in refused.json()["response"]["message"][0]
        names = [i["name"] for i in (await srv.client.get("/instance/fetchInstances", headers=srv.headers())).json()]
        assert names == [name]


async def test_guard_is_off_by_default(server: RunningServer) -> None:
    name = unique()
    await server.create_instance(name)
    assert (await set_webhook(server, name, enabled=True, url="http://127.0.0.1:9/x", events=[])).status_code == 201


async def test_slow_receiver_does_not_delay_another_instance(server: RunningServer) -> None:
    async with Receiver(delay=3.0) as slow, Receiver() as fast:
        slow_name, fast_name = unique(), unique()
        await server.create_instance(slow_name, webhook={"url": slow.url, "events": []})
        await server.create_instance(fast_name, webhook={"url": fast.url, "events": []})
        started = time.monotonic()
        for _ in range(40):
            await server.client.post(
                f"/message/sendText/{slow_name}",
                json={"number": "5511777776666", "text": "s"},
                headers=server.headers(),
            )
        for _ in range(5):
            await server.client.post(
                f"/message/sendText/{fast_name}",
                json={"number": "5511777776666", "text": "f"},
                headers=server.headers(),
            )
        await fast.wait_for(lambda r: len(r.events("send.message")) == 5, within=2.5)
        assert time.monotonic() - started < 3.0
        assert len(slow.requests) == 0


async def test_concurrency_per_target_is_bounded(server_factory: Any) -> None:
    async with Receiver(delay=0.2) as receiver:
        async with server_factory(WEBHOOK_CONCURRENCY_PER_TARGET="3") as srv:
            name = unique()
            await srv.create_instance(name, webhook={"url": receiver.url, "events": ["SEND_MESSAGE"]})
            for index in range(15):
                response = await srv.client.post(
                    f"/message/sendText/{name}",
                    json={"number": "5511777776666", "text": f"t{index}"},
                    headers=srv.headers(),
                )
                assert response.status_code == 201
            await receiver.wait_for(lambda r: len(r.requests) == 15, within=10)
            assert receiver.max_in_flight == 3


async def test_request_timeout_is_retried_then_dead_lettered(server_factory: Any) -> None:
    async with Receiver(delay=1.0) as receiver:
        env = {
            "WEBHOOK_REQUEST_TIMEOUT_MS": "200",
            "WEBHOOK_RETRY_MAX_ATTEMPTS": "2",
            "WEBHOOK_RETRY_INITIAL_DELAY_SECONDS": "0.05",
        }
        async with server_factory(**env) as srv:
            name = unique()
            await srv.create_instance(name, webhook={"url": receiver.url, "events": ["INSTANCE_CREATE"]})
            for _ in range(100):
                page = (await srv.client.get(f"/events/dead/{name}", headers=srv.headers())).json()
                if page["total"]:
                    break
                await asyncio.sleep(0.05)
            assert page["total"] == 1
            record = page["records"][0]
            assert record["attempts"] == 2 and record["lastError"] == f"no answer from {receiver.url} within 0.2s"
            # Each attempt reached the receiver (which answers only after the client gave up).
            await receiver.wait_for(lambda r: len(r.attempts) == 2, within=5)
