"""The seed's "Fluxo Completo de Uso" end to end, what it looks like from the v2 side, a restart, and
that an instance token never reaches another instance."""

from __future__ import annotations

from pathlib import Path

from tests.api.go.conftest import GoServer
from tests.support.databases import database_env
from tests.support.scripted_channel import scripted_factories
from tests.support.server import running_server


async def test_seed_full_flow_across_dialects_and_a_restart(tmp_path: Path, db_kind: str) -> None:
    async with database_env(db_kind, tmp_path) as db_env:
        async with running_server(tmp_path, db_env, factories=scripted_factories()) as srv:
            go = GoServer(srv)
            admin = go.admin
            # 1. Criar Instância (Administrativo)
            created = await go.client.post(
                "/instance/create", json={"name": "vendas", "token": "token-vendas-123"}, headers=admin
            )
            assert created.status_code == 200, created.text
            assert created.json()["data"]["status"] == "created"
            instance_id = created.json()["data"]["id"]
            token = {"apikey": "token-vendas-123"}

            # 2. Conectar (Usando Token da Instância)
            connect = await go.client.post(
                "/instance/connect",
                json={"webhookUrl": "https://meu-servidor.com/webhook", "subscribe": ["messages.upsert"]},
                headers=token,
            )
            assert connect.status_code == 200, connect.text
            assert connect.json() == {
                "message": "success",
                "data": {"jid": "", "webhookUrl": "https://meu-servidor.com/webhook", "eventString": "messages.upsert"},
            }

            # 3. Obter QR Code
            qr = await go.client.get("/instance/qr", headers=token)
            assert qr.status_code == 200
            raw_code = qr.json()["data"]["qrcode"]
            assert raw_code.startswith("2@") and qr.json()["data"]["code"].startswith("data:image/png;base64,")
            # meanwhile, the v2 dialect sees the same instance waiting for the same QR
            state = await go.client.get("/instance/connectionState/vendas", headers=token)
            assert state.json() == {"instance": {"instanceName": "vendas", "state": "connecting"}}
            v2_qr = await go.client.get("/instance/connect/vendas", headers=admin)
            assert v2_qr.json()["code"] == raw_code

            # 4. Escanear QR Code com WhatsApp
            await go.channel("vendas").scan("5511999999999@s.whatsapp.net", "Minha Empresa")

            # 5. Verificar Status
            status = await go.client.get("/instance/status", headers=token)
            assert status.json() == {
                "message": "success",
                "data": {
                    "connected": True,
                    "loggedIn": True,
                    "name": "Minha Empresa",
                    "myJid": "5511999999999@s.whatsapp.net",
                },
            }
            state = await go.client.get("/instance/connectionState/vendas", headers=token)
            assert state.json() == {"instance": {"instanceName": "vendas", "state": "open"}}
            [fetched] = (
                await go.client.get("/instance/fetchInstances", params={"instanceName": "vendas"}, headers=admin)
            ).json()
            assert fetched["connectionStatus"] == "open"
            assert fetched["ownerJid"] == "5511999999999@s.whatsapp.net"
            assert fetched["profileName"] == "Minha Empresa"
            assert fetched["token"] == "token-vendas-123"
            webhook = await srv.services.subscriptions.find("webhook", instance_id)
            assert webhook is not None
            assert (webhook["url"], webhook["events"]) == ("https://meu-servidor.com/webhook", ["MESSAGES_UPSERT"])
            logs = (await go.client.get("/instance/logs/vendas", params={"limit": 1}, headers=admin)).json()
            assert logs[0]["message"] == "Instance connected successfully"

        # After a restart the instance, its token, webhook row and log are all still there.
        async with running_server(tmp_path, db_env, factories=scripted_factories()) as srv:
            go = GoServer(srv)
            status = await go.client.get("/instance/status", headers=token)
            assert status.status_code == 200
            assert status.json()["data"]["connected"] is False  # the scripted channel holds no session
            info = (await go.client.get("/instance/info/vendas", headers=go.admin)).json()["data"]
            assert (info["id"], info["token"], info["webhook"], info["events"]) == (
                instance_id,
                "token-vendas-123",
                "https://meu-servidor.com/webhook",
                "messages.upsert",
            )
            logs = (await go.client.get(f"/instance/logs/{instance_id}", headers=go.admin)).json()
            assert "Instance created" in [e["message"] for e in logs]
            deleted = await go.client.delete(f"/instance/delete/{instance_id}", headers=go.admin)
            assert deleted.json()["message"] == "success"


async def test_a_token_never_reaches_another_instance(go: GoServer) -> None:
    a = await go.create()
    b = await go.create()
    ha = {"apikey": a["token"]}
    for name in (a["name"], b["name"]):
        await go.channel(name).connect(None)
        await go.channel(name).scan(f"55119{len(name)}@s.whatsapp.net", name)

    # Token routes act on the token's own instance only.
    status = (await go.client.get("/instance/status", headers=ha)).json()["data"]
    assert status["name"] == a["name"]
    assert (await go.client.post("/instance/disconnect", headers=ha)).status_code == 200
    assert (await go.client.delete("/instance/logout", headers=ha)).status_code == 200
    assert go.channel(a["name"]).state == "close"
    assert go.channel(b["name"]).state == "open" and go.channel(b["name"]).session_valid

    # Nothing that names B accepts A's token.
    denied = [
        ("GET", f"/instance/{b['id']}/advanced-settings", None),
        ("PUT", f"/instance/{b['name']}/advanced-settings", {"rejectCall": True}),
        ("GET", f"/instance/info/{b['id']}", None),
        ("GET", f"/instance/logs/{b['id']}", None),
        ("POST", f"/instance/proxy/{b['id']}", {"host": "h", "port": "1"}),
        ("DELETE", f"/instance/proxy/{b['id']}", None),
        ("POST", f"/instance/forcereconnect/{b['id']}", {"number": "5511"}),
        ("DELETE", f"/instance/delete/{b['id']}", None),
        ("DELETE", f"/instance/delete/{b['name']}", None),
        ("GET", "/instance/all", None),
        ("DELETE", f"/instance/logout/{b['name']}", None),
        ("GET", f"/settings/find/{b['name']}", None),
    ]
    for method, path, body in denied:
        response = await go.client.request(method, path, json=body, headers=ha)
        assert response.status_code == 401, (method, path, response.text)
    b_runtime = go.srv.services.registry.get(b["name"])
    assert b_runtime is not None and b_runtime.settings.rejectCall is False
    assert go.channel(b["name"]).state == "open"
    assert b_runtime.proxy.enabled is False


async def test_a_token_shared_by_two_v2_instances_is_refused(go: GoServer) -> None:
    one, two = "shared-1", "shared-2"
    await go.srv.create_instance(one, token="same-token")
    await go.srv.create_instance(two, token="same-token")
    response = await go.client.get("/instance/status", headers={"apikey": "same-token"})
    assert response.status_code == 409
    assert "more than one instance" in response.json()["error"]
