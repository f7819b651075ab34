"""`/baileys/*`: the four calls whatsmeow can answer, in Baileys' shapes (fake neonize client with
real protobufs), the five Baileys internals refused with a clear 400, and other channels' answer."""

from __future__ import annotations

import uuid
from typing import Any

from neonize.proto import Neonize_pb2 as N
from neonize.utils.jid import build_jid

from tests.support.server import unique
from tests.support.whatsmeow import FAKE_ENV, open_instance


async def test_baileys_routes_on_whatsapp_web(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        h = srv.headers()

        async def post(route: str, body: object) -> tuple[int, Any]:
            answer = await srv.client.post(f"/baileys/{route}/{name}", headers=h, json=body)
            return answer.status_code, answer.json()

        client.not_on_whatsapp.add("5511900000000")
        assert await post("onWhatsapp", {"jid": "5511988887777@s.whatsapp.net"}) == (
            200, [{"jid": "5511988887777@s.whatsapp.net", "exists": True}]
        )  # fmt: skip
        assert await post("onWhatsapp", {"jid": "5511900000000"}) == (200, [])  # Baileys leaves them out
        assert await post("onWhatsapp", {"jid": "211111111111111@lid"}) == (200, [])
        status, body = await post("onWhatsapp", {})
        assert status == 400 and body["response"]["message"] == ['"jid" is required and must be a string']

        assert await post("profilePictureUrl", {"jid": "5511988887777@s.whatsapp.net", "type": "image"}) == (
            200, "https://pps.whatsapp.net/v/t61/fake.jpg"
        )  # fmt: skip
        ((_args, kwargs),) = [c for c in client.calls_of("get_profile_picture") if c[0][0].User == "5511988887777"]
        assert kwargs["extra"].Preview is False
        client.answers["get_profile_picture"] = N.ProfilePictureInfo()
        assert await post("profilePictureUrl", {"jid": "5511988887777"}) == (200, None)

        own = build_jid("5511999990000")
        client.answers["get_user_devices"] = [
            build_jid("5511988887777"),
            N.JID(User="5511988887777", Server="s.whatsapp.net", Device=3),
            N.JID(User="211111111111111", Server="lid", Device=2),
            own,  # our own device (0) is left out, as Baileys does
        ]
        client.answers["get_me"] = N.Device(JID=own, PushName="Loja Centro", LID=build_jid("299999999999999", "lid"))
        assert await post("getUSyncDevices", {"jids": ["5511988887777"], "ignoreZeroDevices": True}) == (
            200,
            [
                {"user": "5511988887777", "device": 3, "domainType": 0, "server": "s.whatsapp.net"},
                {"user": "211111111111111", "device": 2, "domainType": 1, "server": "lid"},
            ],
        )
        status, body = await post("getUSyncDevices", {"jids": []})
        assert status == 400

        client.answers["get_me"] = N.Device(
            JID=N.JID(User="5511999990000", Server="s.whatsapp.net", Device=12), PushName="Loja Centro",
            LID=N.JID(User="299999999999999", Server="lid", Device=12),
        )  # fmt: skip
        assert await post("getAuthState", {}) == (
            200,
            {"me": {"id": "5511999990000:12@s.whatsapp.net", "name": "Loja Centro",
                    "lid": "299999999999999:12@lid"}},
        )  # fmt: skip

        for route in ("assertSessions", "createParticipantNodes", "generateMessageTag", "sendNode",
                      "signalRepositoryDecryptMessage"):  # fmt: skip
            status, body = await post(route, {"jids": ["5511988887777@s.whatsapp.net"]})
            assert status == 400, route
            (message,) = body["response"]["message"]
            assert message.startswith(f"/baileys/{route} is a Baileys internal with no equivalent"), message

        missing = await srv.client.post("/baileys/onWhatsapp/nobody-here", headers=h, json={"jid": "1"})
        assert missing.status_code == 404


async def test_baileys_routes_on_other_channels(server) -> None:
    name = unique()
    token = (await server.create_instance(name, number=uuid.uuid4().hex[:12]))["hash"]
    answer = await server.client.post(
        f"/baileys/onWhatsapp/{name}", headers=server.headers(token), json={"jid": "5511988887777"}
    )
    assert answer.status_code == 400
    assert answer.json()["response"]["message"] == ["Method not available on Evolution Channel"]
    other = await server.client.post(f"/baileys/generateMessageTag/{name}", headers=server.headers(token), json={})
    assert other.status_code == 400
