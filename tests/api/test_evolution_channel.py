"""The EVOLUTION channel end to end: inbound `/webhook/evolution`, sends, and the `find*` routes."""

from __future__ import annotations

import base64
import uuid

from tests.support.server import RunningServer, unique


async def _instance(server: RunningServer) -> tuple[str, str, str]:
    name, number = unique(), uuid.uuid4().hex[:12]
    token = (await server.create_instance(name, number=number))["hash"]
    return name, token, number


async def _inbound(
    server: RunningServer, number: str, jid: str, text: str, msg_id: str | None = None, *, token: str
) -> None:
    body = {
        "numberId": number,
        "key": {"remoteJid": jid, "fromMe": False, **({"id": msg_id} if msg_id else {})},
        "pushName": "Maria",
        "message": {"conversation": text},
        "messageType": "conversation",
    }
    response = await server.client.post("/webhook/evolution", json=body, headers={"apikey": token})
    assert response.status_code == 200
    assert response.json() == {"status": "success"}


async def test_inbound_messages_are_stored_and_found(server: RunningServer) -> None:
    name, token, number = await _instance(server)
    jid = "5511988887777@s.whatsapp.net"
    await _inbound(server, number, jid, "first", "MSG1", token=token)
    await _inbound(server, number, jid, "second", "MSG2", token=token)
    h = server.headers(token)

    found = await server.client.post(f"/chat/findMessages/{name}", headers=h, json={})
    assert found.status_code == 200
    page = found.json()["messages"]
    assert page["total"] == 2 and page["pages"] == 1 and page["currentPage"] == 1
    texts = sorted(r["message"]["conversation"] for r in page["records"])
    assert texts == ["first", "second"]
    record = page["records"][0]
    assert record["key"]["remoteJid"] == jid and record["key"]["fromMe"] is False
    assert record["pushName"] == "Maria" and record["messageType"] == "conversation"
    assert record["source"] == "unknown" and record["MessageUpdate"] == []
    assert isinstance(record["messageTimestamp"], int)

    by_id = await server.client.post(f"/chat/findMessages/{name}", headers=h, json={"where": {"key": {"id": "MSG2"}}})
    assert [r["key"]["id"] for r in by_id.json()["messages"]["records"]] == ["MSG2"]
    paged = await server.client.post(f"/chat/findMessages/{name}", headers=h, json={"page": 2, "offset": 1})
    assert paged.json()["messages"]["currentPage"] == 2 and len(paged.json()["messages"]["records"]) == 1

    contacts = (await server.client.post(f"/chat/findContacts/{name}", headers=h, json={})).json()
    assert len(contacts) == 1
    assert contacts[0]["remoteJid"] == jid and contacts[0]["pushName"] == "Maria"
    assert contacts[0]["isGroup"] is False and contacts[0]["type"] == "contact"

    chats = (await server.client.post(f"/chat/findChats/{name}", headers=h, json={})).json()
    assert len(chats) == 1
    assert chats[0]["remoteJid"] == jid and chats[0]["lastMessage"]["key"]["id"] in ("MSG1", "MSG2")
    assert chats[0]["unreadCount"] == 2

    chat = await server.client.get(f"/chat/findChatByRemoteJid/{name}?remoteJid={jid}", headers=h)
    assert chat.status_code == 200 and chat.json()["remoteJid"] == jid
    none = await server.client.get(f"/chat/findChatByRemoteJid/{name}?remoteJid=nobody", headers=h)
    assert none.status_code == 200 and none.json() is None
    missing = await server.client.get(f"/chat/findChatByRemoteJid/{name}", headers=h)
    assert missing.status_code == 400
    assert missing.json() == {"error": "remoteJid is a required query parameter"}

    fetched = (
        await server.client.get(f"/instance/fetchInstances?instanceName={name}", headers=server.headers())
    ).json()
    assert fetched[0]["_count"] == {"Message": 2, "Contact": 1, "Chat": 1}


async def test_messages_of_one_instance_stay_with_it(server: RunningServer) -> None:
    a, token_a, number_a = await _instance(server)
    b, token_b, _number_b = await _instance(server)
    await _inbound(server, number_a, "1@s.whatsapp.net", "for a", token=token_a)
    seen_b = await server.client.post(f"/chat/findMessages/{b}", headers=server.headers(token_b), json={})
    assert seen_b.json()["messages"]["total"] == 0
    cross = await server.client.post(f"/chat/findMessages/{a}", headers=server.headers(token_b), json={})
    assert cross.status_code == 401


async def test_inbound_ignores_unknown_number(server: RunningServer) -> None:
    h = server.headers()
    response = await server.client.post("/webhook/evolution", json={"numberId": "nobody", "message": {}}, headers=h)
    assert response.status_code == 200 and response.content == b""
    no_id = await server.client.post("/webhook/evolution", json={"message": {"conversation": "x"}}, headers=h)
    assert no_id.status_code == 200 and no_id.content == b""
    broken = await server.client.post(
        "/webhook/evolution", content=b"{", headers={"content-type": "application/json", **h}
    )
    assert broken.status_code == 400


async def test_send_text_and_media(server: RunningServer) -> None:
    name, token, _number = await _instance(server)
    h = server.headers(token)
    sent = await server.client.post(
        f"/message/sendText/{name}", headers=h, json={"number": "5511988887777", "text": "hello"}
    )
    assert sent.status_code == 201, sent.text
    record = sent.json()
    assert record["key"]["fromMe"] is True and record["key"]["remoteJid"] == "5511988887777"
    assert record["message"] == {"conversation": "hello"} and record["messageType"] == "conversation"
    uuid.UUID(record["key"]["id"])

    image = base64.b64encode(b"\x89PNG fake").decode()
    media = await server.client.post(
        f"/message/sendMedia/{name}",
        headers=h,
        json={"number": "5511988887777", "mediatype": "image", "media": image, "caption": "look"},
    )
    assert media.status_code == 201, media.text
    assert media.json()["messageType"] == "imageMessage"
    assert media.json()["message"] == {"mediaUrl": None}  # upstream drops the base64 and the caption

    upload = await server.client.post(
        f"/message/sendMedia/{name}",
        headers=h,
        data={"number": "5511988887777", "mediatype": "document", "delay": "0"},
        files={"file": ("report.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["message"] == {"mediaUrl": None}

    stored = await server.client.post(f"/chat/findMessages/{name}", headers=h, json={})
    assert stored.json()["messages"]["total"] == 3
    assert {r["pushName"] for r in stored.json()["messages"]["records"]} == {"Você"}


async def test_send_validation_and_unavailable_methods(server: RunningServer) -> None:
    name, token, _number = await _instance(server)
    h = server.headers(token)
    cases = [
        ("sendText", {"number": "1"}, [['instance requires property "text"']]),
        ("sendText", {"number": 1, "text": "a"}, [["number is not of a type(s) string"]]),
        ("sendText", {"number": "1", "text": "a", "delay": "soon"}, [["delay is not of a type(s) integer"]]),
        ("sendText", {"number": "1", "text": "  "}, ["Text is required"]),
        (
            "sendMedia",
            {"number": "1", "mediatype": "gif", "media": "x"},
            [["mediatype is not one of enum values: image,document,video,audio"]],
        ),
        (
            "sendMedia",
            {"number": "1", "mediatype": "image", "media": "not base64 !"},
            ["Owned media must be a url or base64"],
        ),
        (
            "sendMedia",
            {"number": "1", "mediatype": "document", "media": "QUJD"},
            ["For base64 the file name must be informed."],
        ),
        ("sendButtons", {"number": "1", "buttons": []}, ["At least one button is required"]),
        (
            "sendButtons",
            {"number": "1", "buttons": [{"type": "reply", "displayText": "a"}, {"type": "url"}]},
            ["Reply buttons cannot be mixed with other button types"],
        ),
        (
            "sendLocation",
            {"number": "1", "latitude": 1, "longitude": 2, "name": "n", "address": "a"},
            ["Method not available on Evolution Channel"],
        ),
        (
            "sendPoll",
            {"number": "1", "name": "q", "selectableCount": 1, "values": ["a", "b"]},
            ["Method not available on Evolution Channel"],
        ),
    ]
    for route, body, message in cases:
        response = await server.client.post(f"/message/{route}/{name}", headers=h, json=body)
        assert response.status_code == 400, (route, body, response.text)
        assert response.json()["response"]["message"] == message, (route, body, response.json())
    empty = await server.client.post(f"/message/sendText/{name}", headers={**h, "content-type": "application/json"})
    assert empty.status_code == 400
    assert empty.json()["response"]["message"] == [['instance requires property "number"']]
    stored = await server.client.post(f"/chat/findMessages/{name}", headers=h, json={})
    assert stored.json()["messages"]["total"] == 0


async def test_settings_and_proxy_routes(server: RunningServer) -> None:
    name, token, _number = await _instance(server)
    h = server.headers(token)
    body = {
        "rejectCall": True,
        "groupsIgnore": False,
        "alwaysOnline": True,
        "readMessages": False,
        "readStatus": False,
        "syncFullHistory": False,
        "msgCall": "no calls",
    }
    saved = await server.client.post(f"/settings/set/{name}", headers=h, json=body)
    assert saved.status_code == 201
    assert saved.json() == {"settings": {"instanceName": name, "settings": body}}
    found = await server.client.get(f"/settings/find/{name}", headers=h)
    assert found.json() == {**body, "wavoipToken": ""}
    partial = await server.client.post(f"/settings/set/{name}", headers=h, json={"rejectCall": False})
    assert partial.status_code == 400
    assert partial.json()["response"]["message"] == [['instance requires property "groupsIgnore"']]
    assert (await server.client.get(f"/settings/find/{name}", headers=h)).json()["rejectCall"] is True

    assert (await server.client.get(f"/proxy/find/{name}", headers=h)).json() is None
    proxy = {"enabled": True, "host": "10.0.0.1", "port": "3128", "protocol": "http", "username": "u", "password": "p"}
    set_proxy = await server.client.post(f"/proxy/set/{name}", headers=h, json=proxy)
    assert set_proxy.status_code == 201
    assert set_proxy.json() == {"proxy": {"instanceName": name, "proxy": proxy}}
    row = (await server.client.get(f"/proxy/find/{name}", headers=h)).json()
    assert {k: row[k] for k in proxy} == proxy and row["instanceId"]
    off = await server.client.post(f"/proxy/set/{name}", headers=h, json={**proxy, "enabled": False})
    assert off.json()["proxy"]["proxy"] == {
        "enabled": False,
        "host": "",
        "port": "",
        "protocol": "",
        "username": "",
        "password": "",
    }
    bad = await server.client.post(f"/proxy/set/{name}", headers=h, json={**proxy, "host": " "})
    assert bad.status_code == 400
    assert bad.json()["response"]["message"] == ['The "host" cannot be empty']
    bad_proto = await server.client.post(f"/proxy/set/{name}", headers=h, json={**proxy, "protocol": "ftp"})
    assert bad_proto.status_code == 400
    assert (await server.client.get(f"/proxy/find/{name}", headers=h)).json()["enabled"] is False


async def test_inbound_requires_the_instance_token_by_default(server: RunningServer) -> None:
    name, token, number = await _instance(server)
    _other, other_token, _other_number = await _instance(server)
    body = {"numberId": number, "key": {"remoteJid": "1@s.whatsapp.net"}, "message": {"conversation": "x"}}
    unknown = {**body, "numberId": "nobody"}
    for headers in ({}, {"apikey": "wrong"}, {"apikey": other_token}):
        refused = await server.client.post("/webhook/evolution", json=body, headers=headers)
        assert refused.status_code == 401, headers
        assert refused.json()["response"]["message"] == "Unauthorized"
        # An unknown number answers the same: no key, no way to tell which numbers exist.
        assert (await server.client.post("/webhook/evolution", json=unknown, headers=headers)).status_code == 401
    for key in (token, server.api_key):
        accepted = await server.client.post("/webhook/evolution", json=body, headers={"apikey": key})
        assert accepted.status_code == 200 and accepted.json() == {"status": "success"}
    stored = await server.client.post(f"/chat/findMessages/{name}", headers=server.headers(), json={})
    assert stored.json()["messages"]["total"] == 2


async def test_inbound_is_open_with_the_switch_off(server_factory) -> None:
    async with server_factory(EVOLUTION_WEBHOOK_REQUIRE_APIKEY="false") as srv:
        name, _token, number = await _instance(srv)
        body = {"numberId": number, "key": {"remoteJid": "1@s.whatsapp.net"}, "message": {"conversation": "x"}}
        for headers in ({}, {"apikey": "wrong"}):
            accepted = await srv.client.post("/webhook/evolution", json=body, headers=headers)
            assert accepted.status_code == 200 and accepted.json() == {"status": "success"}, headers
        unknown = await srv.client.post("/webhook/evolution", json={**body, "numberId": "nobody"})
        assert unknown.status_code == 200 and unknown.content == b""
        stored = await srv.client.post(f"/chat/findMessages/{name}", headers=srv.headers(), json={})
        assert stored.json()["messages"]["total"] == 2


async def test_inbound_can_require_the_instance_token(server_factory) -> None:
    async with server_factory(EVOLUTION_WEBHOOK_REQUIRE_APIKEY="true") as srv:
        name, token, number = await _instance(srv)
        _other, other_token, _other_number = await _instance(srv)
        body = {"numberId": number, "key": {"remoteJid": "1@s.whatsapp.net"}, "message": {"conversation": "x"}}
        for headers in ({}, {"apikey": "wrong"}, {"apikey": other_token}):
            refused = await srv.client.post("/webhook/evolution", json=body, headers=headers)
            assert refused.status_code == 401, headers
        for key in (token, srv.api_key):
            accepted = await srv.client.post("/webhook/evolution", json=body, headers={"apikey": key})
            assert accepted.status_code == 200 and accepted.json() == {"status": "success"}
        stored = await srv.client.post(f"/chat/findMessages/{name}", headers=srv.headers(), json={})
        assert stored.json()["messages"]["total"] == 2
