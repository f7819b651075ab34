"""`/instance` routes through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

from tests.support.server import RunningServer, unique


async def test_root_and_verify_creds(server: RunningServer) -> None:
    root = await server.client.get("/")
    assert root.status_code == 200
    body = root.json()
    assert body["status"] == 200
    assert body["message"] == "Welcome to the Evolution API, it is working!"
    assert body["clientName"] == "evolution"

    ok = await server.client.post("/verify-creds", headers=server.headers())
    assert ok.status_code == 200
    assert ok.json() == {"status": 200, "message": "Credentials are valid"}
    bad = await server.client.post("/verify-creds", headers=server.headers("nope"))
    assert bad.status_code == 401
    assert bad.json() == {"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}}


async def test_create_returns_upstream_shape(server: RunningServer) -> None:
    name = unique()
    response = await server.client.post(
        "/instance/create",
        headers=server.headers(),
        json={
            "instanceName": name,
            "integration": "EVOLUTION",
            "number": "5511999990000",
            "rejectCall": True,
            "msgCall": "busy",
            "webhook": {
                "url": "http://127.0.0.1:9/hook",
                "events": ["MESSAGES_UPSERT"],
                "byEvents": True,
                "headers": {"x-a": "1"},
            },
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["instance"]["instanceName"] == name
    assert body["instance"]["integration"] == "EVOLUTION"
    assert body["instance"]["status"] == "open"
    assert body["instance"]["webhookWaBusiness"] is None
    uuid.UUID(body["instance"]["instanceId"])
    token = body["hash"]
    assert isinstance(token, str) and token == token.upper() and len(token) == 36
    assert body["webhook"] == {
        "webhookUrl": "http://127.0.0.1:9/hook",
        "webhookHeaders": {"x-a": "1"},
        "webhookByEvents": True,
    }
    assert body["websocket"] == {} and body["rabbitmq"] == {}
    assert body["settings"] == {
        "rejectCall": True,
        "msgCall": "busy",
        "groupsIgnore": False,
        "alwaysOnline": False,
        "readMessages": False,
        "readStatus": False,
        "syncFullHistory": False,
        "wavoipToken": "",
    }
    assert "qrcode" not in body

    custom = await server.create_instance(unique(), token="my-own-token")
    assert custom["hash"] == "my-own-token"


async def test_create_rejects_bad_input_and_writes_nothing(server: RunningServer) -> None:
    h = server.headers()
    cases = [
        ({"integration": "EVOLUTION"}, 400, ['instance requires property "instanceName"']),
        ({"instanceName": unique()}, 400, ["Invalid integration"]),
        ({"instanceName": unique(), "integration": "TELEGRAM"}, 400, ["Invalid integration"]),
        ({"instanceName": unique(), "integration": "WHATSAPP-BUSINESS"}, 400, ["token is required"]),
        ({"instanceName": unique(), "integration": "WHATSAPP-BUSINESS", "token": "t"}, 400, ["number is required"]),
        ({"instanceName": "a/b", "integration": "EVOLUTION"}, 400, None),
        (
            {"instanceName": unique(), "integration": "EVOLUTION", "webhook": {"url": "http://x", "events": ["NOPE"]}},
            400,
            None,
        ),
        ({"instanceName": unique(), "integration": "EVOLUTION", "qrcode": "yes"}, 400, None),
    ]
    for body, status, message in cases:
        response = await server.client.post("/instance/create", headers=h, json=body)
        assert response.status_code == status, (body, response.text)
        envelope = response.json()
        assert envelope["status"] == status and envelope["error"] == "Bad Request"
        if message is not None:
            assert envelope["response"]["message"] == message, envelope
    typed = await server.client.post(
        "/instance/create", headers=h, json={"instanceName": unique(), "integration": "EVOLUTION", "qrcode": "yes"}
    )
    assert typed.json()["response"]["message"] == [["qrcode is not of a type(s) boolean"]]
    malformed = await server.client.post(
        "/instance/create", headers={**h, "content-type": "application/json"}, content=b'{"instanceName": '
    )
    assert malformed.status_code == 400
    assert str(malformed.json()["response"]["message"]).count("JSON is malformed") == 1  # said once
    listed = await server.client.get("/instance/fetchInstances", headers=h)
    assert listed.json() == []


async def test_duplicate_name_is_403_before_auth(server: RunningServer) -> None:
    name = unique()
    await server.create_instance(name)
    for key in (server.api_key, None, "wrong"):
        headers = server.headers(key) if key else {}
        response = await server.client.post(
            "/instance/create", headers=headers, json={"instanceName": name, "integration": "EVOLUTION"}
        )
        assert response.status_code == 403
        assert response.json() == {
            "status": 403,
            "error": "Forbidden",
            "response": {"message": [f'This name "{name}" is already in use.']},
        }
    no_key = await server.client.post("/instance/create", json={"instanceName": unique(), "integration": "EVOLUTION"})
    assert no_key.status_code == 401


async def test_auth_matrix(server: RunningServer) -> None:
    a, b = unique("a"), unique("b")
    token_a = (await server.create_instance(a))["hash"]
    token_b = (await server.create_instance(b))["hash"]
    path = f"/instance/connectionState/{a}"
    assert (await server.client.get(path)).status_code == 401
    assert (await server.client.get(path, headers={"apikey": ""})).status_code == 401
    assert (await server.client.get(path, headers=server.headers("wrong"))).status_code == 401
    assert (await server.client.get(path, headers=server.headers(token_b))).status_code == 401
    assert (await server.client.get(path, headers=server.headers(token_a))).status_code == 200
    assert (await server.client.get(path, headers=server.headers())).status_code == 200
    # Header name is case-insensitive, as in Express.
    assert (await server.client.get(path, headers={"APIKEY": token_a})).status_code == 200
    # Unknown instance: 404 before the key is looked at.
    missing = await server.client.get("/instance/connectionState/nobody")
    assert missing.status_code == 404
    assert missing.json() == {
        "status": 404,
        "error": "Not Found",
        "response": {"message": ['The "nobody" instance does not exist']},
    }
    # A query parameter never changes which instance a call acts on.
    other = await server.client.get(f"{path}?instanceName={b}", headers=server.headers(token_a))
    assert other.json() == {"instance": {"instanceName": a, "state": "open"}}
    # An instance token cannot create instances or act on another instance.
    created = await server.client.post(
        "/instance/create", headers=server.headers(token_a), json={"instanceName": unique(), "integration": "EVOLUTION"}
    )
    assert created.status_code == 401
    deleted = await server.client.delete(f"/instance/delete/{b}", headers=server.headers(token_a))
    assert deleted.status_code == 401
    assert b in server.services.registry


async def test_fetch_instances(server: RunningServer) -> None:
    a, b = unique("a"), unique("b")
    token_a = (await server.create_instance(a, number="111", rejectCall=True))["hash"]
    await server.create_instance(b, number="222")
    everything = await server.client.get("/instance/fetchInstances", headers=server.headers())
    assert everything.status_code == 200
    rows = everything.json()
    assert [row["name"] for row in rows] == [a, b]
    row = rows[0]
    for field in (
        "id",
        "name",
        "connectionStatus",
        "ownerJid",
        "profileName",
        "profilePicUrl",
        "integration",
        "number",
        "businessId",
        "token",
        "clientName",
        "disconnectionReasonCode",
        "disconnectionObject",
        "disconnectionAt",
        "createdAt",
        "updatedAt",
        "Chatwoot",
        "Proxy",
        "Rabbitmq",
        "Nats",
        "Sqs",
        "Websocket",
        "Setting",
        "_count",
    ):
        assert field in row, field
    assert row["token"] == token_a and row["integration"] == "EVOLUTION" and row["connectionStatus"] == "open"
    assert row["Setting"]["rejectCall"] is True and row["Setting"]["instanceId"] == row["id"]
    assert row["_count"] == {"Message": 0, "Contact": 0, "Chat": 0}
    assert row["createdAt"].endswith("Z")

    by_name = await server.client.get(f"/instance/fetchInstances?instanceName={b}", headers=server.headers())
    assert [r["name"] for r in by_name.json()] == [b]
    by_number = await server.client.get("/instance/fetchInstances?number=111", headers=server.headers())
    assert [r["name"] for r in by_number.json()] == [a]
    by_id = await server.client.get(f"/instance/fetchInstances?instanceId={row['id']}", headers=server.headers())
    assert [r["name"] for r in by_id.json()] == [a]
    unknown = await server.client.get("/instance/fetchInstances?instanceName=zzz", headers=server.headers())
    assert unknown.status_code == 404
    assert unknown.json()["response"]["message"] == ['Instance "zzz" not found']

    own = await server.client.get("/instance/fetchInstances", headers=server.headers(token_a))
    assert [r["name"] for r in own.json()] == [a]
    # An instance token never sees another instance, whatever the query says.
    cross = await server.client.get(f"/instance/fetchInstances?instanceName={b}", headers=server.headers(token_a))
    assert cross.status_code == 401
    assert (await server.client.get("/instance/fetchInstances", headers=server.headers("nope"))).status_code == 401


async def test_lifecycle_on_evolution_channel(server: RunningServer) -> None:
    name = unique()
    await server.create_instance(name)
    h = server.headers()
    connect = await server.client.get(f"/instance/connect/{name}", headers=h)
    assert connect.json() == {"instance": {"instanceName": name, "state": "open"}}
    restart = await server.client.post(f"/instance/restart/{name}", headers=h)
    assert restart.status_code == 200
    assert restart.json() == {"instance": {"instanceName": name, "state": "open"}}

    presence = await server.client.post(f"/instance/setPresence/{name}", headers=h, json={"presence": "available"})
    assert presence.status_code == 400
    assert presence.json()["response"]["message"] == ["Method not available on Evolution Channel"]
    bad = await server.client.post(f"/instance/setPresence/{name}", headers=h, json={"presence": "dancing"})
    assert bad.status_code == 400
    assert bad.json()["response"]["message"] == [
        ["presence is not one of enum values: unavailable,available,composing,recording,paused"]
    ]
    missing = await server.client.post(f"/instance/setPresence/{name}", headers=h, json={})
    assert missing.json()["response"]["message"] == [['instance requires property "presence"']]

    logout = await server.client.delete(f"/instance/logout/{name}", headers=h)
    assert logout.status_code == 200
    assert logout.json() == {"status": "SUCCESS", "error": False, "response": {"message": "Instance logged out"}}
    state = await server.client.get(f"/instance/connectionState/{name}", headers=h)
    assert state.json() == {"instance": {"instanceName": name, "state": "close"}}
    again = await server.client.delete(f"/instance/logout/{name}", headers=h)
    assert again.status_code == 400
    assert again.json()["response"]["message"] == [f'The "{name}" instance is not connected']
    closed_restart = await server.client.post(f"/instance/restart/{name}", headers=h)
    assert closed_restart.json()["error"] is True

    deleted = await server.client.delete(f"/instance/delete/{name}", headers=h)
    assert deleted.status_code == 200
    # With the global key the Go dialect could have sent it too: v2's body plus Go's "message".
    assert deleted.json() == {
        "status": "SUCCESS",
        "error": False,
        "response": {"message": "Instance deleted"},
        "message": "success",
    }
    gone = await server.client.get(f"/instance/connectionState/{name}", headers=h)
    assert gone.status_code == 404
    assert (await server.client.get("/instance/fetchInstances", headers=h)).json() == []
    # The name is free again.
    await server.create_instance(name)


async def test_seed_path_form(server: RunningServer) -> None:
    name = unique()
    token = (await server.create_instance(name))["hash"]
    h = server.headers(token)
    state = await server.client.get(f"/{name}/instance/connectionState", headers=h)
    assert state.json() == {"instance": {"instanceName": name, "state": "open"}}
    assert (await server.client.get(f"/{name}/instance/connect", headers=h)).status_code == 200
    assert (await server.client.post(f"/{name}/instance/restart", headers=h)).status_code == 200
    assert (await server.client.delete(f"/{name}/instance/logout", headers=h)).status_code == 200
    assert (await server.client.delete(f"/{name}/instance/delete", headers=h)).status_code == 200
    assert name not in server.services.registry


async def test_unknown_route_envelope(server: RunningServer) -> None:
    response = await server.client.get("/no/such/route?x=1")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "error": "Not Found",
        "response": {"message": ["Cannot GET /no/such/route?x=1"]},
    }
    wrong_method = await server.client.put("/instance/create")
    assert wrong_method.status_code == 404
    assert wrong_method.json()["response"]["message"] == ["Cannot PUT /instance/create"]


async def test_instances_survive_restart(server_factory) -> None:
    name = unique()
    async with server_factory() as first:
        created = await first.create_instance(name, number="777")
        await first.client.post(
            f"/settings/set/{name}",
            headers=first.headers(),
            json={
                "rejectCall": True,
                "groupsIgnore": True,
                "alwaysOnline": False,
                "readMessages": False,
                "readStatus": False,
                "syncFullHistory": False,
                "msgCall": "later",
            },
        )
    async with server_factory() as second:
        assert name in second.services.registry
        state = await second.client.get(f"/instance/connectionState/{name}", headers=second.headers(created["hash"]))
        assert state.json() == {"instance": {"instanceName": name, "state": "open"}}
        found = await second.client.get(f"/settings/find/{name}", headers=second.headers())
        assert found.json()["rejectCall"] is True and found.json()["msgCall"] == "later"


async def test_del_instance_removes_instances_that_are_not_connected(server_factory) -> None:
    async with server_factory(DEL_INSTANCE="0.01") as srv:  # 0.6 s
        closed, connected = unique("closed"), unique("open")
        await srv.create_instance(closed)
        await srv.create_instance(connected)
        await srv.client.delete(f"/instance/logout/{closed}", headers=srv.headers())
        names: list[str] = []
        # The timer fires after 0.6 s; a loaded machine may take longer. The instance leaves the
        # registry first (no new work reaches it), then its row is deleted: wait for both.
        for _ in range(100):
            await asyncio.sleep(0.1)
            listed = await srv.client.get("/instance/fetchInstances", headers=srv.headers())
            names = [row["name"] for row in listed.json()]
            if closed not in srv.services.registry and closed not in names:
                break
        assert closed not in srv.services.registry
        assert connected in srv.services.registry
        assert names == [connected]


async def test_deleting_an_instance_stops_its_auto_delete_timer(server_factory) -> None:
    async with server_factory(DEL_INSTANCE="60") as srv:
        name = unique("timer")
        await srv.create_instance(name)
        runtime = srv.services.registry.require(name)
        (timer,) = runtime.background_tasks  # the DEL_INSTANCE timer is the runtime's own task
        response = await srv.client.delete(f"/instance/delete/{name}", headers=srv.headers())
        assert response.status_code == 200
        await asyncio.sleep(0)
        assert timer.cancelled() and name not in srv.services.registry


async def test_a_failed_background_task_of_an_instance_is_logged(server_factory, caplog) -> None:
    async with server_factory() as srv:
        name = unique("bg")
        await srv.create_instance(name)
        runtime = srv.services.registry.require(name)

        async def failing() -> None:
            raise LookupError("the inbox could not be created")

        task = runtime.spawn(failing())
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)  # the done callbacks run
        assert f"instance {name}: a background task failed: LookupError" in caplog.text


UNSAFE_NAMES = ["a\x00b", "a\rb", "a\nb", "tab\there", "del\x7f", "c1\x85", ".", "..", "a/b", "/"]


async def test_create_refuses_unsafe_names(server: RunningServer) -> None:
    h = server.headers()
    for name in UNSAFE_NAMES:
        response = await server.client.post(
            "/instance/create", headers=h, json={"instanceName": name, "integration": "EVOLUTION"}
        )
        assert response.status_code == 400, (name, response.text)
        envelope = response.json()
        assert envelope["status"] == 400 and envelope["error"] == "Bad Request"
        (message,) = envelope["response"]["message"]
        assert message.startswith("instanceName "), message
        assert "SQL" not in response.text and "INSERT" not in response.text
    for token, message in (
        ("t\x00k", "token cannot contain control characters (NUL, CR, LF, ...)"),
        ("t\r\nk", "token cannot contain control characters (NUL, CR, LF, ...)"),
        ("t" * 256, "token must be at most 255 characters"),
    ):
        body = {"instanceName": unique(), "integration": "EVOLUTION", "token": token}
        response = await server.client.post("/instance/create", headers=h, json=body)
        assert (response.status_code, response.json()["response"]["message"]) == (400, [message]), response.text
    assert (await server.client.get("/instance/fetchInstances", headers=h)).json() == []


async def test_a_nul_in_the_path_or_the_query_never_reaches_the_database(server: RunningServer) -> None:
    created = await server.create_instance(unique())
    for key in (server.api_key, created["hash"], None):
        headers = {} if key is None else server.headers(key)
        for path in ("/instance/connectionState/a%00b", "/chat/findChats/x%0D%0Ay", "/events/dead/%00"):
            method = "POST" if "findChats" in path else "GET"
            response = await server.client.request(method, path, headers=headers)
            assert response.status_code == 404, (path, response.text)
            envelope = response.json()
            assert envelope["status"] == 404 and envelope["error"] == "Not Found", envelope
            assert "SELECT" not in response.text and "sqlalchemy" not in response.text.lower()
    by_name = await server.client.get(
        "/instance/fetchInstances", params={"instanceName": "a\x00b"}, headers=server.headers()
    )
    assert by_name.status_code == 404 and "SELECT" not in by_name.text
    by_id = await server.client.get(
        "/instance/fetchInstances", params={"instanceId": "a\x00b"}, headers=server.headers()
    )
    assert by_id.status_code == 404 and "SELECT" not in by_id.text
    mine = await server.client.get(
        "/instance/fetchInstances", params={"instanceName": "a\x00b"}, headers=server.headers(created["hash"])
    )
    assert mine.status_code in (200, 401, 404) and "SELECT" not in mine.text
