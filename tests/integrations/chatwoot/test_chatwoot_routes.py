"""`/chatwoot/set`, `/chatwoot/find`, the `chatwoot*` fields of `/instance/create`, and the webhook's
secret, over HTTP against a fake Chatwoot, as Evolution API's Manager uses them."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.integrations.chatwoot.support import chatwoot_fake, chatwoot_server, until
from tests.support.databases import database_env
from tests.support.server import running_server, unique


async def test_disabled_chatwoot_answers_400_on_every_route(tmp_path: Path) -> None:
    async with database_env("sqlite", tmp_path) as db_env, running_server(tmp_path, db_env) as srv:
        name = unique("cw")
        await srv.create_instance(name)
        for method, path in (("POST", "set"), ("GET", "find"), ("POST", "webhook")):
            body = (
                {
                    "enabled": False,
                    "accountId": "1",
                    "token": "t",
                    "url": "http://x",
                    "signMsg": False,
                    "reopenConversation": False,
                    "conversationPending": False,
                }
                if method == "POST"
                else None
            )
            headers = srv.headers() if path != "webhook" else {}
            answer = await srv.client.request(method, f"/chatwoot/{path}/{name}", json=body, headers=headers)
            assert answer.status_code == 400, (path, answer.text)
            assert answer.json()["response"]["message"] == ["Chatwoot is disabled"]
        created = await srv.client.post(
            "/instance/create",
            json={
                "instanceName": unique("cw"),
                "integration": "EVOLUTION",
                "chatwootAccountId": "1",
                "chatwootToken": "t",
                "chatwootUrl": "http://cw.local",
            },
            headers=srv.headers(),
        )
        assert created.status_code == 400
        assert created.json()["response"]["message"] == ["Chatwoot is not enabled"]


async def test_set_and_find_as_the_manager_does(tmp_path: Path, db_kind: str) -> None:
    async with (
        database_env(db_kind, tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake) as cw,
    ):
        srv = cw.srv
        empty = await srv.client.get(f"/chatwoot/find/{cw.name}", headers=srv.headers(cw.token))
        assert empty.status_code == 200
        assert empty.json() == {
            "enabled": False,
            "url": "",
            "accountId": "",
            "token": "",
            "signMsg": False,
            "nameInbox": "",
            "webhook_url": "",
        }

        # upstream's checks, in its order and words; nothing is stored by a refused set
        base = {
            "enabled": True,
            "accountId": "1",
            "token": fake.token,
            "url": fake.url,
            "signMsg": True,
            "reopenConversation": False,
            "conversationPending": False,
        }
        for change, message in (
            ({"url": "not a url"}, "url is not valid"),
            ({"daysLimitImportMessages": 1e300}, "daysLimitImportMessages must be between 0 and 36500"),
            ({"accountId": ""}, None),
            ({"token": ""}, None),
        ):
            answer = await srv.client.post(f"/chatwoot/set/{cw.name}", json={**base, **change}, headers=srv.headers())
            assert answer.status_code == 400, answer.text
            if message:
                assert answer.json()["response"]["message"] == [message]
        missing = await srv.client.post(f"/chatwoot/set/{cw.name}", json={"enabled": True}, headers=srv.headers())
        assert missing.status_code == 400
        assert (await srv.client.get(f"/chatwoot/find/{cw.name}", headers=srv.headers())).json()["enabled"] is False

        stored = await cw.configure(signMsg=True, signDelimiter="\\n", nameInbox="Support", ignoreJids=["@g.us"])
        assert stored["nameInbox"] == "Support"
        assert stored["signDelimiter"] == "\\n"
        hook = stored["webhook_url"]
        assert hook.startswith(f"{srv.base_url}/chatwoot/webhook/{cw.name}?key=")

        # autoCreate: the inbox exists in Chatwoot with its webhook pointed back at us, secret included
        inbox = next(i for i in fake.inboxes.values() if i["name"] == "Support")
        assert inbox["webhook_url"] == hook
        # ... and the bot contact's conversation got `init`, which Chatwoot posts back: an open
        # EVOLUTION instance answers that it is connected
        bot = fake.contact_by_identifier("123456")
        assert len(bot) == 1 and bot[0]["phone_number"] == "+123456" and bot[0]["name"] == "EvolutionAPI"
        conversation = fake.conversations_of(bot[0]["id"])[0]["id"]
        await until(lambda: any("is connected" in str(m["content"]) for m in fake.of(conversation)))

        found = (await srv.client.get(f"/chatwoot/find/{cw.name}", headers=srv.headers(cw.token))).json()
        assert found == {
            "enabled": True,
            "accountId": "1",
            "token": fake.token,
            "url": fake.url,
            "nameInbox": "Support",
            "signMsg": True,
            "signDelimiter": "\\n",
            "reopenConversation": True,
            "conversationPending": False,
            "mergeBrazilContacts": False,
            "importContacts": False,
            "importMessages": False,
            "daysLimitImportMessages": None,
            "organization": None,
            "logo": None,
            "ignoreJids": ["@g.us"],
            "webhook_url": hook,
        }
        # signMsg false stores no delimiter
        off = await cw.configure(signMsg=False, signDelimiter="--", nameInbox="Support")
        assert off["signDelimiter"] is None
        assert (await srv.client.get(f"/chatwoot/find/{cw.name}", headers=srv.headers())).json()[
            "signDelimiter"
        ] is None
        assert not fake.refused


async def test_the_webhook_needs_the_instance_secret(tmp_path: Path) -> None:
    async with (
        database_env("sqlite", tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake) as cw,
    ):
        hook = (await cw.configure())["webhook_url"]
        key = parse_qs(urlsplit(hook).query)["key"][0]
        body = {
            "event": "message_created",
            "message_type": "outgoing",
            "id": 999,
            "content": "hi",
            "conversation": {"id": 1, "meta": {"sender": {"identifier": "5511999990000@s.whatsapp.net"}}},
        }
        for query in ("", "?key=wrong", f"?key={key[:-1]}"):
            answer = await cw.srv.client.post(f"/chatwoot/webhook/{cw.name}{query}", json=body)
            assert answer.status_code == 401, query
        assert not cw.recording.of("send.message", cw.name)
        # another instance's secret does not open this one
        other = unique("cw")
        await cw.srv.create_instance(other, number=uuid.uuid4().hex[:12])
        answer = await cw.srv.client.post(f"/chatwoot/webhook/{other}?key={key}", json=body)
        assert answer.status_code == 401
        ok = await cw.srv.client.post(f"/chatwoot/webhook/{cw.name}?key={key}", json={"event": "conversation_updated"})
        assert ok.status_code == 200 and ok.json() == {"message": "bot"}


async def test_instance_create_with_chatwoot_fields(tmp_path: Path, db_kind: str) -> None:
    async with (
        database_env(db_kind, tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake) as cw,
    ):
        srv = cw.srv
        name = unique("cw")
        fields = {
            "instanceName": name,
            "integration": "EVOLUTION",
            "number": uuid.uuid4().hex[:12],
            "chatwootAccountId": "1",
            "chatwootToken": fake.token,
            "chatwootUrl": fake.url,
        }
        refused = await srv.client.post("/instance/create", json=fields, headers=srv.headers())
        assert refused.status_code == 400
        assert refused.json()["response"]["message"] == ["signMsg is required"]
        assert (await srv.client.get(f"/chatwoot/find/{name}", headers=srv.headers())).status_code == 404

        created = await srv.client.post(
            "/instance/create",
            json={
                **fields,
                "chatwootSignMsg": True,
                "chatwootReopenConversation": False,
                "chatwootConversationPending": True,
                "chatwootNameInbox": "Sales",
                "qrcode": True,
            },
            headers=srv.headers(),
        )
        assert created.status_code == 201, created.text
        block = created.json()["chatwoot"]
        assert "qrcode" not in created.json()
        assert block["enabled"] is True and block["nameInbox"] == "Sales" and block["daysLimitImportMessages"] == 60
        assert block["importContacts"] is True and block["mergeBrazilContacts"] is False
        assert block["webhookUrl"].startswith(f"{srv.base_url}/chatwoot/webhook/{name}?key=")
        await until(lambda: any(i["name"] == "Sales" for i in fake.inboxes.values()))
        found = (await srv.client.get(f"/chatwoot/find/{name}", headers=srv.headers())).json()
        assert found["conversationPending"] is True and found["webhook_url"] == block["webhookUrl"]
