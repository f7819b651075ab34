"""Go token routes: connect, qr, pair, status, disconnect, reconnect, logout — driven through the
scripted channel, and checked against the v2 routes that show the same instance."""

from __future__ import annotations

import base64

from evolution_py.channels.base import ConnectionState
from tests.api.go.conftest import GoServer
from tests.support.scripted_channel import ScriptedChannel

NOT_AUTHORIZED = {"error": "not authorized"}


def _state(channel: ScriptedChannel) -> ConnectionState:
    """Read afresh: mypy would keep `channel.state` narrowed by an earlier assert across the awaits."""
    return channel.state


async def _status(go: GoServer, token: str) -> dict[str, object]:
    response = await go.client.get("/instance/status", headers={"apikey": token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "success"
    return body["data"]  # type: ignore[no-any-return]


async def test_status_walks_the_seeds_four_states(go: GoServer) -> None:
    inst = await go.create()
    token, name = inst["token"], inst["name"]
    h = {"apikey": token}

    # created, not connected
    assert await _status(go, token) == {"connected": False, "loggedIn": False, "name": "", "myJid": None}
    # connecting, waiting for the QR scan
    connect = await go.client.post("/instance/connect", json={}, headers=h)
    assert connect.status_code == 200
    assert (await _status(go, token))["connected"] is True
    assert (await _status(go, token))["loggedIn"] is False
    # connected and active
    await go.channel(name).scan("5511999999999@s.whatsapp.net", "Minha Empresa")
    assert await _status(go, token) == {
        "connected": True,
        "loggedIn": True,
        "name": "Minha Empresa",
        "myJid": "5511999999999@s.whatsapp.net",
    }
    # session valid but temporarily disconnected
    await go.channel(name).drop()
    status = await _status(go, token)
    assert (status["connected"], status["loggedIn"]) == (False, True)

    # v2 sees the same instance: connectionState follows the channel.
    state = await go.client.get(f"/instance/connectionState/{name}", headers=h)
    assert state.json() == {"instance": {"instanceName": name, "state": "close"}}


async def test_qr_and_pair(go: GoServer) -> None:
    inst = await go.create()
    h = {"apikey": inst["token"]}

    qr = await go.client.get("/instance/qr", headers=h)  # starts the QR flow on demand
    assert qr.status_code == 200, qr.text
    data = qr.json()["data"]
    assert data["qrcode"].startswith("2@")
    assert data["code"].startswith("data:image/png;base64,")
    base64.b64decode(data["code"].split(",", 1)[1], validate=True)
    # Evolution Go's own capitalised keys, for its bundled manager.
    assert data["Qrcode"] == data["code"] and data["Code"] == data["qrcode"]

    # The v2 connect route shows the very same QR (one instance, one channel).
    v2 = await go.client.get(f"/instance/connect/{inst['name']}", headers=h)
    assert v2.status_code == 200
    assert v2.json()["code"] == data["qrcode"]
    assert v2.json()["base64"] == data["code"]
    state = await go.client.get(f"/instance/connectionState/{inst['name']}", headers=h)
    assert state.json()["instance"]["state"] == "connecting"

    pair = await go.client.post("/instance/pair", json={"phone": "+55 (11) 99999-9999"}, headers=h)
    assert pair.status_code == 200, pair.text
    code = pair.json()["data"]["code"]
    assert len(code) == 8 and code == pair.json()["data"]["PairingCode"]
    assert ("connect", "5511999999999") in go.channel(inst["name"]).lifecycle_calls
    again = await go.client.post("/instance/pair", json={"phone": "5511999999999"}, headers=h)
    assert again.json()["data"]["code"] != code  # each request asks WhatsApp for a new code

    for body, message in (
        ({}, "phone is required"),
        ({"phone": ""}, "phone is required"),
        ({"phone": "12"}, "phone must be an international number with 8 to 15 digits"),
    ):
        bad = await go.client.post("/instance/pair", json=body, headers=h)
        assert (bad.status_code, bad.json()) == (400, {"error": message})

    await go.channel(inst["name"]).scan()
    for response in (
        await go.client.get("/instance/qr", headers=h),
        await go.client.post("/instance/pair", json={"phone": "5511999999999"}, headers=h),
    ):
        assert (response.status_code, response.json()) == (400, {"error": "session already logged in"})


async def test_disconnect_reconnect_logout(go: GoServer) -> None:
    inst = await go.create()
    name, h = inst["name"], {"apikey": inst["token"]}
    channel = go.channel(name)

    not_connected = await go.client.post("/instance/disconnect", json={}, headers=h)
    assert (not_connected.status_code, not_connected.json()) == (400, {"error": "client disconnected"})
    no_session = await go.client.delete("/instance/logout", headers=h)
    assert (no_session.status_code, no_session.json()) == (400, {"error": "ignoring logout as it was not connected"})

    await go.client.post("/instance/connect", json={}, headers=h)
    await channel.scan()
    disconnect = await go.client.post("/instance/disconnect", json={}, headers=h)
    assert (disconnect.status_code, disconnect.json()) == (200, {"message": "success"})
    assert _state(channel) == "close" and channel.session_valid  # the session is kept
    assert (await _status(go, inst["token"]))["loggedIn"] is True

    reconnect = await go.client.post("/instance/reconnect", json={}, headers=h)
    assert (reconnect.status_code, reconnect.json()) == (200, {"message": "success"})
    assert _state(channel) == "open"  # resumed without a QR
    restart = await go.client.post("/instance/reconnect", headers=h)  # no body is fine too
    assert restart.status_code == 200 and ("restart", None) in channel.lifecycle_calls
    assert _state(channel) == "open"

    logout = await go.client.request("DELETE", "/instance/logout", json={}, headers=h)
    assert (logout.status_code, logout.json()) == (200, {"message": "success"})
    assert _state(channel) == "close" and not channel.session_valid
    assert await _status(go, inst["token"]) == {"connected": False, "loggedIn": False, "name": "", "myJid": None}
    # After logout a QR is needed again.
    qr = await go.client.get("/instance/qr", headers=h)
    assert qr.status_code == 200 and qr.json()["data"]["qrcode"].startswith("2@")


async def test_logout_of_a_stored_but_disconnected_session(go: GoServer) -> None:
    inst = await go.create()
    h = {"apikey": inst["token"]}
    channel = go.channel(inst["name"])
    await channel.connect(None)
    await channel.scan()
    await channel.drop()
    logout = await go.client.delete("/instance/logout", headers=h)
    assert logout.status_code == 200
    assert channel.session_valid is False


async def test_token_routes_refuse_wrong_keys(go: GoServer) -> None:
    inst = await go.create()
    routes = [
        ("POST", "/instance/connect", {}),
        ("GET", "/instance/qr", None),
        ("POST", "/instance/pair", {"phone": "5511999999999"}),
        ("GET", "/instance/status", None),
        ("POST", "/instance/disconnect", {}),
        ("POST", "/instance/reconnect", {}),
        ("DELETE", "/instance/logout", None),
    ]
    # No key, an unknown key, and the global key (it is not an instance token).
    for headers in ({}, {"apikey": "not-a-token"}, go.admin):
        for method, path, body in routes:
            response = await go.client.request(method, path, json=body, headers=headers)
            assert (response.status_code, response.json()) == (401, NOT_AUTHORIZED), (method, path, headers)
    assert go.channel(inst["name"]).lifecycle_calls == []  # nothing reached the channel

    bad_json = await go.client.post(
        "/instance/connect", content=b"{nope", headers={"apikey": inst["token"], "content-type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json()["error"].startswith("invalid JSON body")
    not_object = await go.client.post("/instance/connect", json=[1], headers={"apikey": inst["token"]})
    assert (not_object.status_code, not_object.json()) == (400, {"error": "request body must be a JSON object"})


async def test_v2_routes_beside_go_routes(go: GoServer) -> None:
    """The near-miss paths of both dialects reach their own handlers."""
    inst = await go.create()
    name, h = inst["name"], {"apikey": inst["token"]}
    v2_connect = await go.client.get(f"/instance/connect/{name}", headers=h)
    assert v2_connect.status_code == 200 and v2_connect.json()["count"] == 1
    await go.channel(name).scan()
    v2_logout = await go.client.delete(f"/instance/logout/{name}", headers=h)
    assert v2_logout.json() == {"status": "SUCCESS", "error": False, "response": {"message": "Instance logged out"}}
    assert (await _status(go, inst["token"]))["connected"] is False
    seed_form = await go.client.get(f"/{name}/instance/connectionState", headers=h)
    assert seed_form.json() == {"instance": {"instanceName": name, "state": "close"}}
    unknown = await go.client.get("/instance/nothing-here", headers=h)
    assert unknown.status_code == 404
