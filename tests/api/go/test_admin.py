"""Go admin routes (global key): create, all, info, delete, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from tests.api.go.conftest import GoServer
from tests.support.server import unique

NOT_AUTHORIZED = {"error": "not authorized"}


async def test_create_answers_the_seed_shape(go: GoServer) -> None:
    name = unique("vendas")
    body = {
        "name": name,
        "token": "token-seguro-unico-" + name,
        "webhook": "https://seu-servidor.com/webhook",
        "webhookEvents": ["messages.upsert", "connection.update"],
        "proxy": {"host": "proxy.exemplo.com", "port": "8080", "username": "usuario", "password": "senha"},
    }
    response = await go.client.post("/instance/create", json=body, headers=go.admin)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["message"] == "success"
    data = payload["data"]
    assert data["name"] == name
    assert data["token"] == body["token"]
    assert data["webhook"] == "https://seu-servidor.com/webhook"
    assert data["status"] == "created"
    assert data["createdAt"].endswith("Z") and "T" in data["createdAt"]
    uuid.UUID(data["id"])

    # The same instance is a v2 instance: fetchInstances lists it with its token, proxy and settings.
    fetched = await go.client.get("/instance/fetchInstances", params={"instanceName": name}, headers=go.admin)
    assert fetched.status_code == 200, fetched.text
    [item] = fetched.json()
    assert item["id"] == data["id"]
    assert item["token"] == body["token"]
    assert item["integration"] == "WHATSAPP-BAILEYS"
    assert item["connectionStatus"] == "close"
    assert item["Proxy"]["host"] == "proxy.exemplo.com"
    assert item["Proxy"]["protocol"] == "http"
    assert item["Proxy"]["enabled"] is True


UNSAFE_WHAT = "(NUL, CR, LF, ...) or be '.' or '..'"


async def test_create_refuses_bad_input_and_stores_nothing(go: GoServer) -> None:
    name = unique()
    cases = [
        ({"token": "t1", "webhookEvents": ["MESSAGE"]}, 400, "name is required"),
        ({"name": "", "token": "t1"}, 400, "name is required"),
        ({"name": name}, 400, "token is required"),
        ({"name": name, "token": 5}, 400, "token must be a string"),
        ({"name": "a/b", "token": "t1"}, 400, "name must be at most 255 characters and cannot contain '/'"),
        *[
            (
                {"name": bad, "token": "t1"},
                400,
                "name cannot contain control characters (NUL, CR, LF, ...) or be '.' or '..'",
            )
            for bad in ("a\x00b", "a\r\nb", "\x1b[31m", ".", "..")
        ],
        ({"name": name, "token": "t\x00"}, 400, "token cannot contain control characters (NUL, CR, LF, ...)"),
        (
            {"name": name, "token": "t1", "instanceId": ".."},
            400,
            f"instanceId cannot contain control characters {UNSAFE_WHAT}",
        ),
        ({"name": name, "token": "t1", "webhook": "ftp://x"}, 400, "webhook must be an http:// or https:// URL"),
        ({"name": name, "token": "t1", "proxy": {"port": "80"}}, 400, "proxy.host is required"),
        ({"name": name, "token": "t1", "proxy": {"host": "h"}}, 400, "proxy.port is required"),
        (
            {"name": name, "token": "t1", "proxy": {"host": "h", "port": "99999"}},
            400,
            "proxy.port must be a number between 1 and 65535",
        ),
    ]
    for body, status, message in cases:
        response = await go.client.post("/instance/create", json=body, headers=go.admin)
        assert (response.status_code, response.json()) == (status, {"error": message}), body

    # Neither `name` nor `instanceName`: one body both dialects understand.
    neither = await go.client.post("/instance/create", json={"token": "t1"}, headers=go.admin)
    assert neither.status_code == 400
    assert neither.json() == {
        "status": 400,
        "error": "name is required",
        "response": {"message": ['instance requires property "instanceName"']},
    }

    unknown = await go.client.post(
        "/instance/create", json={"name": name, "token": "t1", "webhookEvents": ["MESSAGE", "NOPE"]}, headers=go.admin
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"].startswith("webhookEvents: unknown event(s) NOPE;")

    malformed = await go.client.post(
        "/instance/create", content=b'{"name": "x", ', headers={**go.admin, "content-type": "application/json"}
    )
    assert malformed.status_code == 400
    # Without `name` the body is not Go's: the v2 create answers (its own envelope).
    assert malformed.json()["status"] == 400

    assert go.srv.services.registry.get(name) is None
    listed = await go.client.get("/instance/all", headers=go.admin)
    assert [i["name"] for i in listed.json()["data"]] == []


async def test_create_auth_and_conflicts(go: GoServer) -> None:
    first = await go.create()
    body = {"name": unique(), "token": "fresh-token"}
    for headers in ({}, {"apikey": "wrong"}, {"apikey": first["token"]}):
        response = await go.client.post("/instance/create", json=body, headers=headers)
        assert (response.status_code, response.json()) == (401, NOT_AUTHORIZED)
    assert go.srv.services.registry.get(body["name"]) is None

    taken = await go.client.post("/instance/create", json={"name": first["name"], "token": "x"}, headers=go.admin)
    assert (taken.status_code, taken.json()) == (409, {"error": "instance already exists"})
    same_token = await go.client.post(
        "/instance/create", json={"name": unique(), "token": first["token"]}, headers=go.admin
    )
    assert same_token.status_code == 409
    assert same_token.json() == {"error": "token or instanceId already in use"}

    # v2 bodies (instanceName) still reach the v2 create, with its 201 and shape.
    v2 = await go.client.post(
        "/instance/create", json={"instanceName": unique("v2"), "integration": "EVOLUTION"}, headers=go.admin
    )
    assert v2.status_code == 201 and "hash" in v2.json()


async def test_all_and_info(go: GoServer) -> None:
    a = await go.create(webhook="https://a.example/hook", webhookEvents=["MESSAGE", "CONNECTION"])
    b = await go.create()
    v2_name = unique("v2")
    await go.srv.create_instance(v2_name)  # a v2 (EVOLUTION) instance shows in the Go list too

    listed = await go.client.get("/instance/all", headers=go.admin)
    assert listed.status_code == 200
    items = {i["name"]: i for i in listed.json()["data"]}
    assert set(items) == {a["name"], b["name"], v2_name}
    assert items[a["name"]]["id"] == a["id"]
    assert items[a["name"]]["connected"] is False
    assert items[a["name"]]["jid"] is None
    assert items[v2_name]["connected"] is True  # the EVOLUTION channel is always open

    await go.channel(b["name"]).connect(None)
    await go.channel(b["name"]).scan("5511888887777@s.whatsapp.net")
    listed = await go.client.get("/instance/all", headers=go.admin)
    items = {i["name"]: i for i in listed.json()["data"]}
    assert items[b["name"]]["connected"] is True
    assert items[b["name"]]["jid"] == "5511888887777@s.whatsapp.net"

    for key in (a["id"], a["name"]):
        info = await go.client.get(f"/instance/info/{key}", headers=go.admin)
        assert info.status_code == 200, info.text
        data = info.json()["data"]
        assert data["id"] == a["id"]
        assert data["name"] == a["name"]
        assert data["token"] == a["token"]
        assert data["webhook"] == "https://a.example/hook"
        assert data["events"] == "messages.upsert,connection.update,logout.instance"
        assert data["connected"] is False
        assert data["jid"] is None
        assert data["createdAt"] == a["createdAt"]

    missing = await go.client.get(f"/instance/info/{uuid.uuid4()}", headers=go.admin)
    assert (missing.status_code, missing.json()) == (404, {"error": "instance not found"})
    for headers in ({}, {"apikey": a["token"]}):
        denied = await go.client.get(f"/instance/info/{a['id']}", headers=headers)
        assert (denied.status_code, denied.json()) == (401, NOT_AUTHORIZED)
        denied_all = await go.client.get("/instance/all", headers=headers)
        assert (denied_all.status_code, denied_all.json()) == (401, NOT_AUTHORIZED)


async def test_delete_by_id_or_name_answers_both_dialects(go: GoServer) -> None:
    by_id = await go.create()
    by_name = await go.create()
    await go.channel(by_id["name"]).connect(None)
    await go.channel(by_id["name"]).scan()

    # An instance token may not delete by id (Go's delete is an admin route).
    denied = await go.client.delete(f"/instance/delete/{by_id['id']}", headers={"apikey": by_id["token"]})
    assert denied.status_code == 401
    assert go.srv.services.registry.get(by_id["name"]) is not None

    dual = {"status": "SUCCESS", "error": False, "response": {"message": "Instance deleted"}, "message": "success"}
    gone = await go.client.delete(f"/instance/delete/{by_id['id']}", headers=go.admin)
    assert (gone.status_code, gone.json()) == (200, dual)
    # A connected session is logged out before the instance goes.
    assert go.srv.services.registry.get(by_id["name"]) is None
    gone = await go.client.delete(f"/instance/delete/{by_name['name']}", headers=go.admin)
    assert (gone.status_code, gone.json()) == (200, dual)

    listed = await go.client.get("/instance/all", headers=go.admin)
    assert listed.json()["data"] == []
    info = await go.client.get(f"/instance/info/{by_id['id']}", headers=go.admin)
    assert info.status_code == 404

    unknown_id = await go.client.delete(f"/instance/delete/{uuid.uuid4()}", headers=go.admin)
    assert unknown_id.status_code == 404
    assert unknown_id.json()["error"] == "instance not found"
    unknown_name = await go.client.delete("/instance/delete/nobody-here", headers=go.admin)
    assert unknown_name.status_code == 404
    assert unknown_name.json()["response"]["message"] == ['The "nobody-here" instance does not exist']

    # The v2 token form keeps v2's body.
    own = await go.create()
    mine = await go.client.delete(f"/instance/delete/{own['name']}", headers={"apikey": own["token"]})
    assert mine.json() == {"status": "SUCCESS", "error": False, "response": {"message": "Instance deleted"}}
