"""Chat, group and profile operations through HTTP on the real WHATSAPP-BAILEYS channel over the fake
neonize client: what whatsmeow was asked, and what the route answered."""

from __future__ import annotations

from neonize.proto.Neonize_pb2 import GroupInfo, GroupName, GroupParticipant, IsOnWhatsAppResponse, PrivacySettings
from neonize.utils import build_jid

from tests.support.server import unique
from tests.support.whatsmeow import FAKE_ENV, open_instance

GROUP_USER = "120363000000000001"
GROUP = f"{GROUP_USER}@g.us"
MEMBER = "5511988887777"


def group_info() -> GroupInfo:
    jid = build_jid(GROUP_USER, "g.us")
    return GroupInfo(
        JID=jid,
        GroupName=GroupName(Name="Team"),
        OwnerJID=build_jid("5511999990000"),
        Participants=[
            GroupParticipant(JID=build_jid("5511999990000"), IsAdmin=True, IsSuperAdmin=True),
            GroupParticipant(JID=build_jid(MEMBER)),
        ],
    )


async def test_group_routes_drive_whatsmeow(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        client.answers["create_group"] = group_info()
        client.answers["get_group_info"] = group_info()
        h = srv.headers()

        created = await srv.client.post(
            f"/group/create/{name}", headers=h, json={"subject": "Team", "participants": [MEMBER]}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["id"] == GROUP and body["subject"] == "Team" and body["size"] == 2
        (subject, members), _ = client.calls_of("create_group")[-1]
        assert subject == "Team" and [m.User for m in members] == [MEMBER]

        renamed = await srv.client.post(
            f"/group/updateGroupSubject/{name}?groupJid={GROUP_USER}", headers=h, json={"subject": "Renamed"}
        )
        assert renamed.status_code == 201 and renamed.json() == {"update": "success"}
        (jid, new_name), _ = client.calls_of("set_group_name")[-1]
        assert (jid.User, jid.Server, new_name) == (GROUP_USER, "g.us", "Renamed")

        info = await srv.client.get(f"/group/findGroupInfos/{name}?groupJid={GROUP}", headers=h)
        assert info.status_code == 200, info.text
        assert info.json()["id"] == GROUP and len(info.json()["participants"]) == 2

        missing = await srv.client.post(f"/group/updateGroupSubject/{name}", headers=h, json={"subject": "x"})
        assert missing.status_code == 400
        assert missing.json()["response"]["message"] == [
            "The group id needs to be informed in the query",
            'ex: "groupJid=120362@g.us"',
        ]


async def test_chat_and_profile_routes_drive_whatsmeow(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        h = srv.headers()

        client.answers["is_on_whatsapp"] = [
            IsOnWhatsAppResponse(Query=MEMBER, JID=build_jid(MEMBER), IsIn=True),
        ]
        numbers = await srv.client.post(f"/chat/whatsappNumbers/{name}", headers=h, json={"numbers": [MEMBER]})
        assert numbers.status_code == 200, numbers.text
        assert numbers.json()[0]["exists"] is True and numbers.json()[0]["jid"] == f"{MEMBER}@s.whatsapp.net"

        read = await srv.client.post(
            f"/chat/markMessageAsRead/{name}",
            headers=h,
            json={"readMessages": [{"id": "ABC", "fromMe": False, "remoteJid": f"{MEMBER}@s.whatsapp.net"}]},
        )
        assert read.status_code == 201, read.text
        assert read.json() == {"message": "Read messages", "read": "success"}
        assert client.calls_of("mark_read")

        client.answers["get_privacy_settings"] = PrivacySettings()
        privacy = await srv.client.get(f"/chat/fetchPrivacySettings/{name}", headers=h)
        assert privacy.status_code == 200, privacy.text
        assert set(privacy.json()) == {"readreceipts", "profile", "status", "online", "last", "groupadd"}

        profile = await srv.client.post(f"/chat/updateProfileName/{name}", headers=h, json={"name": "Loja"})
        assert profile.status_code == 200 and profile.json() == {"update": "success"}
        (new_name,), _ = client.calls_of("set_profile_name")[-1]
        assert new_name == "Loja"

        archive = await srv.client.post(
            f"/chat/archiveChat/{name}", headers=h, json={"archive": True, "chat": f"{MEMBER}@s.whatsapp.net"}
        )
        assert archive.status_code == 400
        assert "not available on the WhatsApp Web channel" in str(archive.json()["response"]["message"])


async def test_a_stalled_go_call_in_a_group_op_answers_a_clear_400_in_bounded_time(server_factory) -> None:
    """Every Go call of every feature goes through the session's timed call: a whatsmeow call that
    never answers (a stalled socket) gives the client a 400 within WHATSMEOW_CALL_TIMEOUT_SECONDS,
    not a request that hangs."""
    import asyncio
    import time

    release = asyncio.Event()  # the stalled calls end with the test, not before
    async with server_factory(**FAKE_ENV, WHATSMEOW_CALL_TIMEOUT_SECONDS="0.5") as srv:
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        client.answers["create_group"] = lambda *_args: release.wait()
        client.answers["get_group_info"] = lambda *_args: release.wait()
        h = srv.headers()
        try:
            started = time.monotonic()
            created = await asyncio.wait_for(
                srv.client.post(f"/group/create/{name}", headers=h, json={"subject": "Team", "participants": [MEMBER]}),
                10,
            )
            assert time.monotonic() - started < 5
            assert created.status_code == 400, created.text
            assert created.json()["response"]["message"] == ["WhatsApp did not answer in time"]
            assert client.calls_of("create_group")  # it did reach whatsmeow, which never answered

            started = time.monotonic()
            found = await asyncio.wait_for(
                srv.client.get(f"/group/findGroupInfos/{name}?groupJid={GROUP}", headers=h), 10
            )
            assert time.monotonic() - started < 5
            assert found.status_code == 400, found.text
            assert found.json()["response"]["message"] == ["WhatsApp did not answer in time"]
        finally:
            release.set()
