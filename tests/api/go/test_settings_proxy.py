"""Advanced settings (one Setting row with the v2 `/settings` routes), proxy and forcereconnect."""

from __future__ import annotations

import uuid

from tests.api.go.conftest import GoServer

NOT_AUTHORIZED = {"error": "not authorized"}


async def test_advanced_settings_are_the_v2_settings(go: GoServer) -> None:
    inst = await go.create(advancedSettings={"rejectCall": True, "msgRejectCall": "ocupado"})
    name, iid = inst["name"], inst["id"]

    got = await go.client.get(f"/instance/{iid}/advanced-settings", headers=go.admin)
    assert got.status_code == 200, got.text
    assert got.json() == {
        "rejectCall": True,
        "msgCall": "ocupado",
        "groupsIgnore": False,
        "alwaysOnline": False,
        "readMessages": False,
        "readStatus": False,
        "syncFullHistory": False,
        "msgRejectCall": "ocupado",
        "ignoreGroups": False,
        "ignoreStatus": True,
    }

    # The seed's PUT (v2 names, partial) by name; the rest stays as it was.
    put = await go.client.put(
        f"/instance/{name}/advanced-settings", json={"alwaysOnline": True, "readStatus": True}, headers=go.admin
    )
    assert put.status_code == 200, put.text
    assert put.json()["message"] == "Advanced settings updated successfully"
    assert put.json()["settings"]["rejectCall"] is True
    assert put.json()["settings"]["alwaysOnline"] is True
    v2 = await go.client.get(f"/settings/find/{name}", headers=go.admin)
    assert v2.json() == {
        "rejectCall": True,
        "msgCall": "ocupado",
        "groupsIgnore": False,
        "alwaysOnline": True,
        "readMessages": False,
        "readStatus": True,
        "syncFullHistory": False,
        "wavoipToken": "",
    }

    # Evolution Go's names, with the instance's own token.
    own = {"apikey": inst["token"]}
    go_names = await go.client.put(
        f"/instance/{iid}/advanced-settings",
        json={"ignoreGroups": True, "ignoreStatus": True, "msgRejectCall": "depois"},
        headers=own,
    )
    assert go_names.status_code == 200
    v2 = (await go.client.get(f"/settings/find/{name}", headers=own)).json()
    assert (v2["groupsIgnore"], v2["readStatus"], v2["msgCall"]) == (True, False, "depois")

    # A change through v2 shows in the Go dialect.
    v2_set = await go.client.post(
        f"/settings/set/{name}",
        json={
            "rejectCall": False,
            "groupsIgnore": False,
            "alwaysOnline": False,
            "readMessages": True,
            "readStatus": True,
            "syncFullHistory": True,
            "msgCall": "",
        },
        headers=go.admin,
    )
    assert v2_set.status_code == 201, v2_set.text
    got = (await go.client.get(f"/instance/{iid}/advanced-settings", headers=own)).json()
    assert got["readMessages"] is True and got["syncFullHistory"] is True
    assert got["ignoreGroups"] is False and got["ignoreStatus"] is False and got["msgRejectCall"] == ""
    assert go.srv.services.registry.get(name).settings.readMessages is True  # type: ignore[union-attr]


async def test_advanced_settings_refuse_other_tokens_and_bad_input(go: GoServer) -> None:
    a = await go.create()
    b = await go.create()
    for method, body in (("GET", None), ("PUT", {"rejectCall": True})):
        # Upstream lets any token change any instance's settings; here a token reaches only its own.
        other = await go.client.request(
            method, f"/instance/{b['id']}/advanced-settings", json=body, headers={"apikey": a["token"]}
        )
        assert (other.status_code, other.json()) == (401, NOT_AUTHORIZED)
        nobody = await go.client.request(method, f"/instance/{b['id']}/advanced-settings", json=body)
        assert (nobody.status_code, nobody.json()) == (401, NOT_AUTHORIZED)
    assert go.srv.services.registry.get(b["name"]).settings.rejectCall is False  # type: ignore[union-attr]

    missing = await go.client.get(f"/instance/{uuid.uuid4()}/advanced-settings", headers=go.admin)
    assert (missing.status_code, missing.json()) == (404, {"error": "instance not found"})
    invalid: tuple[tuple[dict[str, object], str], ...] = (
        ({"rejectCall": "yes"}, "rejectCall must be a boolean"),
        ({"ignoreStatus": 1}, "ignoreStatus must be a boolean"),
        ({"msgCall": 5}, "msgCall must be a string"),
        ({"msgCall": "x" * 101}, "msgCall must be at most 100 characters"),
    )
    for wrong, message in invalid:
        bad = await go.client.put(f"/instance/{a['id']}/advanced-settings", json=wrong, headers=go.admin)
        assert (bad.status_code, bad.json()) == (400, {"error": message})
    after = (await go.client.get(f"/settings/find/{a['name']}", headers=go.admin)).json()
    assert after["rejectCall"] is False and after["msgCall"] == ""


async def test_proxy_set_and_remove(go: GoServer) -> None:
    inst = await go.create()
    name = inst["name"]
    channel = go.channel(name)
    await channel.connect(None)
    await channel.scan()

    body = {"host": "proxy.exemplo.com", "port": "8080", "username": "usuario", "password": "senha"}
    response = await go.client.post(f"/instance/proxy/{name}", json=body, headers=go.admin)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "message": "success",
        "data": {"host": "proxy.exemplo.com", "port": "8080", "hasAuth": True},
    }
    found = (await go.client.get(f"/proxy/find/{name}", headers=go.admin)).json()
    assert (found["enabled"], found["host"], found["port"], found["protocol"]) == (
        True,
        "proxy.exemplo.com",
        "8080",
        "http",
    )
    assert go.srv.services.registry.get(name).proxy.url() == "http://usuario:senha@proxy.exemplo.com:8080"  # type: ignore[union-attr]

    no_auth = await go.client.post(
        f"/instance/proxy/{inst['id']}", json={"host": "p", "port": 1080, "protocol": "socks5"}, headers=go.admin
    )
    assert no_auth.json()["data"] == {"host": "p", "port": "1080", "hasAuth": False}

    for bad, message in (
        ({"port": "80"}, "host is required"),
        ({"host": "h"}, "port is required"),
        ({"host": "h", "port": "x"}, "port must be a number between 1 and 65535"),
        ({"host": "h", "port": "80", "protocol": "ftp"}, "protocol must be one of http, https, socks4, socks5"),
    ):
        refused = await go.client.post(f"/instance/proxy/{name}", json=bad, headers=go.admin)
        assert (refused.status_code, refused.json()) == (400, {"error": message})
    assert (await go.client.get(f"/proxy/find/{name}", headers=go.admin)).json()["host"] == "p"

    removed = await go.client.delete(f"/instance/proxy/{name}", headers=go.admin)
    assert (removed.status_code, removed.json()) == (200, {"message": "success"})
    assert (await go.client.get(f"/proxy/find/{name}", headers=go.admin)).json()["enabled"] is False

    for method in ("POST", "DELETE"):
        denied = await go.client.request(
            method, f"/instance/proxy/{name}", json=body, headers={"apikey": inst["token"]}
        )
        assert (denied.status_code, denied.json()) == (401, NOT_AUTHORIZED)
        unknown = await go.client.request(method, "/instance/proxy/nobody", json=body, headers=go.admin)
        assert (unknown.status_code, unknown.json()) == (404, {"error": "instance not found"})


async def test_force_reconnect(go: GoServer) -> None:
    inst = await go.create()
    name = inst["name"]
    channel = go.channel(name)
    path = f"/instance/forcereconnect/{inst['id']}"

    missing = await go.client.post(path, json={}, headers=go.admin)
    assert (missing.status_code, missing.json()) == (400, {"error": "number is required"})
    denied = await go.client.post(path, json={"number": "5511999999999"}, headers={"apikey": inst["token"]})
    assert (denied.status_code, denied.json()) == (401, NOT_AUTHORIZED)

    # No stored session: the reconnect ends in the QR flow, so the login fails.
    no_session = await go.client.post(path, json={"number": "5511999999999"}, headers=go.admin)
    assert (no_session.status_code, no_session.json()) == (500, {"error": "failed to login"})

    await channel.scan()
    already = await go.client.post(path, json={"number": "5511999999999"}, headers=go.admin)
    assert (already.status_code, already.json()) == (400, {"error": "client already connected"})

    await channel.drop()
    ok = await go.client.post(path, json={"number": "5511999999999"}, headers=go.admin)
    assert (ok.status_code, ok.json()) == (200, {"message": "success"})
    assert channel.state == "open"
