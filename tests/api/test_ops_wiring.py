"""Routes → WhatsApp Web features through a real server: a `WHATSAPP-BAILEYS` instance whose channel
composes the real features over a session holding the recording fake neonize client (the real
neonize lifecycle is tested elsewhere). Proves each route hands the feature what it expects and
answers the feature's body with the route's status code."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from neonize.proto.Neonize_pb2 import (
    GroupInfo,
    GroupName,
    GroupParticipant,
    IsOnWhatsAppResponse,
    PrivacySettings,
    ProfilePictureInfo,
    SendResponse,
)

from evolution_py.channels.base import BaseChannel
from evolution_py.channels.whatsapp_web.business import BusinessFeature
from evolution_py.channels.whatsapp_web.calls import CallsFeature
from evolution_py.channels.whatsapp_web.chats import ChatsFeature
from evolution_py.channels.whatsapp_web.groups import GroupsFeature
from evolution_py.channels.whatsapp_web.labels import LabelsFeature
from evolution_py.channels.whatsapp_web.profile import ProfileFeature
from evolution_py.channels.whatsapp_web.sender import Sender
from evolution_py.channels.whatsapp_web.session import Session
from tests.support.fake_neonize_ops import FakeOpsClient, jid
from tests.support.server import RunningServer

PEER = "5511900000002@s.whatsapp.net"
GROUP = "120363000000000001@g.us"


class WiredChannel(BaseChannel):
    integration = "WHATSAPP-BAILEYS"
    label = "WhatsApp Web test channel"

    def __init__(self, ctx: Any, client: FakeOpsClient) -> None:
        super().__init__(ctx)
        self.session = Session(ctx, call_timeout=20.0)
        self.session.client = client
        self.session.state = "open"
        self.chats = ChatsFeature(self.session, ctx, Sender(self.session, ctx))
        self.profile = ProfileFeature(self.session, ctx)
        self.groups = GroupsFeature(self.session, ctx)
        self.labels = LabelsFeature(self.session, ctx)
        self.calls = CallsFeature()
        self.business = BusinessFeature(self.session, ctx)

    @property
    def connected(self) -> bool:
        return self.session.state == "open"

    @connected.setter
    def connected(self, value: bool) -> None:
        self.session.state = "open" if value else "close"


@pytest.fixture
async def wired(server: RunningServer) -> AsyncIterator[tuple[RunningServer, str, FakeOpsClient, dict[str, Any]]]:
    client = FakeOpsClient()
    channels: dict[str, Any] = {}

    def factory(runtime: Any, _settings: Any) -> WiredChannel:
        channel = WiredChannel(runtime, client)
        channels[runtime.name] = channel
        return channel

    server.services.kinds.set_factory("WHATSAPP-BAILEYS", factory)
    name = f"wa-{uuid.uuid4().hex[:8]}"
    await server.create_instance(name, integration="WHATSAPP-BAILEYS")
    yield server, name, client, channels


async def test_group_routes_reach_the_feature(wired: Any) -> None:
    server, name, client, _ = wired
    headers = server.headers()
    info = GroupInfo(
        JID=jid(GROUP),
        GroupName=GroupName(Name="Team"),
        Participants=[GroupParticipant(JID=jid(PEER), IsAdmin=True)],
    )
    client.answer("get_group_info", info)
    client.answer("get_profile_picture", ProfilePictureInfo(URL=""))
    found = await server.client.get(
        f"/group/findGroupInfos/{name}", params={"groupJid": "120363000000000001"}, headers=headers
    )
    assert found.status_code == 200, found.text
    assert found.json()["id"] == GROUP and found.json()["participants"] == [{"id": PEER, "admin": "admin"}]
    assert client.called("get_group_info")[-1].args[0].User == "120363000000000001"

    client.answer("get_group_invite_link", "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv")
    revoked = await server.client.post(f"/group/revokeInviteCode/{name}", json={"groupJid": GROUP}, headers=headers)
    assert (revoked.status_code, revoked.json()) == (201, {"revoked": True, "inviteCode": "AbCdEfGhIjKlMnOpQrStUv"})

    setting = await server.client.post(
        f"/group/updateSetting/{name}", json={"groupJid": GROUP, "action": "announcement"}, headers=headers
    )
    assert (setting.status_code, setting.json()) == (201, {})
    leave = await server.client.delete(f"/group/leaveGroup/{name}", params={"groupJid": GROUP}, headers=headers)
    assert (leave.status_code, leave.json()) == (200, {"groupJid": GROUP, "leave": True})

    client.answer("get_group_info", RuntimeError("item-not-found"))
    missing = await server.client.get(f"/group/participants/{name}", params={"groupJid": GROUP}, headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {
        "status": 404,
        "error": "Not Found",
        "response": {"message": ["No participants", "Error: item-not-found"]},
    }


async def test_chat_routes_reach_the_feature(wired: Any) -> None:
    server, name, client, channels = wired
    headers = server.headers()
    client.answer("is_on_whatsapp", [IsOnWhatsAppResponse(Query="+5511900000002", JID=jid(PEER), IsIn=True)])
    numbers = await server.client.post(
        f"/chat/whatsappNumbers/{name}", json={"numbers": ["5511900000002"]}, headers=headers
    )
    assert (numbers.status_code, numbers.json()) == (200, [{"jid": PEER, "exists": True, "number": "5511900000002"}])

    client.answer("revoke_message", SendResponse(ID="REV", Timestamp=1717689100))
    deleted = await server.client.request(
        "DELETE",
        f"/chat/deleteMessageForEveryone/{name}",
        json={"id": "M1", "remoteJid": PEER, "fromMe": True},
        headers=headers,
    )
    assert deleted.status_code == 201, deleted.text
    assert deleted.json()["key"] == {"remoteJid": PEER, "fromMe": True, "id": "REV"}

    client.answer("get_privacy_settings", PrivacySettings(ReadReceipts=PrivacySettings.NONE))
    privacy = await server.client.get(f"/chat/fetchPrivacySettings/{name}", headers=headers)
    assert privacy.status_code == 200 and privacy.json()["readreceipts"] == "none"

    picture = await server.client.post(
        f"/chat/fetchProfilePictureUrl/{name}", json={"number": "5511900000002"}, headers=headers
    )
    assert (picture.status_code, picture.json()["wuid"]) == (200, PEER)

    presence = await server.client.post(
        f"/chat/sendPresence/{name}",
        json={"number": "5511900000002", "presence": "paused", "delay": 0},
        headers=headers,
    )
    assert (presence.status_code, presence.json()) == (201, {"presence": "paused"})

    archived = await server.client.post(
        f"/chat/archiveChat/{name}", json={"archive": True, "chat": PEER}, headers=headers
    )
    assert archived.status_code == 400
    assert archived.json()["response"]["message"][0].startswith(
        "archiveChat is not available on the WhatsApp Web channel"
    )

    offer = await server.client.post(
        f"/call/offer/{name}", json={"number": "5511900000002", "callDuration": 3}, headers=headers
    )
    assert (offer.status_code, offer.json()) == (201, {"id": "123", "jid": PEER, "callDuration": 3})

    labels = await server.client.get(f"/label/findLabels/{name}", headers=headers)
    assert (labels.status_code, labels.json()) == (200, [])

    catalog = await server.client.post(f"/business/getCatalog/{name}", json={}, headers=headers)
    assert catalog.status_code == 400 and catalog.json()["details"]["context"] == "business_catalog"
    assert catalog.json()["message"][0].startswith("getCatalog is not available")

    channels[name].connected = False
    closed = await server.client.post(f"/chat/updateProfileName/{name}", json={"name": "x"}, headers=headers)
    assert closed.status_code == 400
    assert closed.json()["response"]["message"] == [f'The "{name}" instance is not connected']
    raw = await server.client.post(f"/chat/whatsappNumbers/{name}", json={"numbers": ["1"]}, headers=headers)
    assert raw.json() == {"status": 400, "error": "Bad Request", "message": [f'The "{name}" instance is not connected']}
