"""Groups feature over the recording fake client: what reaches whatsmeow, and the exact answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from neonize.proto.Neonize_pb2 import (
    GroupAnnounce,
    GroupEphemeral,
    GroupInfo,
    GroupLocked,
    GroupName,
    GroupParticipant,
    GroupTopic,
    IsOnWhatsAppResponse,
    ProfilePictureInfo,
)
from neonize.utils.enum import ParticipantChange

from evolution_py.channels.base import ChannelError
from evolution_py.channels.capabilities import Messaging
from evolution_py.channels.whatsapp_web.groups import ephemeral_timer_ns, group_metadata, invite_code_of
from evolution_py.dto.group import (
    CreateGroup,
    GetParticipants,
    GroupInvite,
    GroupJid,
    GroupToggleEphemeral,
    GroupUpdateParticipants,
    GroupUpdateSetting,
)
from tests.support.fake_neonize_ops import jid, ops_channel

GROUP = "120363000000000001@g.us"


def info() -> GroupInfo:
    return GroupInfo(
        JID=jid(GROUP),
        OwnerJID=jid("5511900000001@s.whatsapp.net"),
        GroupName=GroupName(Name="Team", NameSetAt=1717689097, NameSetBy=jid("5511900000001@s.whatsapp.net")),
        GroupTopic=GroupTopic(Topic="About", TopicID="T1", TopicSetAt=1717689100),
        GroupLocked=GroupLocked(isLocked=True),
        GroupAnnounce=GroupAnnounce(IsAnnounce=False),
        GroupEphemeral=GroupEphemeral(IsEphemeral=True, DisappearingTimer=86400),
        GroupCreated=1717689000.0,
        Participants=[
            GroupParticipant(JID=jid("5511900000001@s.whatsapp.net"), IsAdmin=True, IsSuperAdmin=True),
            GroupParticipant(JID=jid("5511900000002@s.whatsapp.net"), IsAdmin=True),
            GroupParticipant(JID=jid("5511900000003@s.whatsapp.net")),
        ],
    )


def test_group_metadata_shape() -> None:
    meta = group_metadata(info())
    assert meta["id"] == GROUP
    assert meta["subject"] == "Team"
    assert meta["subjectOwner"] == "5511900000001@s.whatsapp.net"
    assert meta["subjectTime"] == 1717689097
    # neonize carries the creation time as a float32: seconds are rounded to 128 s steps.
    assert meta["creation"] == int(info().GroupCreated) and abs(meta["creation"] - 1717689000) <= 128
    assert meta["owner"] == "5511900000001@s.whatsapp.net"
    assert (meta["desc"], meta["descId"]) == ("About", "T1")
    assert (meta["restrict"], meta["announce"]) == (True, False)
    assert meta["ephemeralDuration"] == 86400
    assert meta["linkedParent"] is None
    assert meta["size"] == 3
    assert meta["participants"] == [
        {"id": "5511900000001@s.whatsapp.net", "admin": "superadmin"},
        {"id": "5511900000002@s.whatsapp.net", "admin": "admin"},
        {"id": "5511900000003@s.whatsapp.net", "admin": None},
    ]
    # Go's zero time (unset) is reported as unknown, not as year 1.
    blank = GroupInfo(JID=jid(GROUP), GroupName=GroupName(Name="x", NameSetAt=-62135596800))
    assert group_metadata(blank)["subjectTime"] is None


def test_pure_helpers() -> None:
    assert invite_code_of("https://chat.whatsapp.com/F1EX5QZxO181L3TMVP31gY") == "F1EX5QZxO181L3TMVP31gY"
    assert ephemeral_timer_ns(86400) == 86_400_000_000_000


async def test_create_adds_only_numbers_on_whatsapp(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        client = channel.client
        client.answer(
            "is_on_whatsapp",
            [
                IsOnWhatsAppResponse(Query="+5511900000002", JID=jid("5511900000002@s.whatsapp.net"), IsIn=True),
                IsOnWhatsAppResponse(Query="+5511900000009", IsIn=False),
            ],
        )
        client.answer("create_group", info())
        client.answer("get_group_info", info())
        body = await channel.group_create(
            CreateGroup(
                subject="Team",
                participants=["5511900000002", "5511900000009"],
                description="About",
                promoteParticipants=True,
            )
        )
        create = client.called("create_group")[0]
        assert create.args[0] == "Team"
        assert [p.User for p in create.args[1]] == ["5511900000002"]
        topic = client.called("set_group_topic")[0]
        assert (topic.args[0].User, topic.args[0].Server, topic.args[1:]) == (
            "120363000000000001",
            "g.us",
            ("", "", "About"),
        )
        promote = client.called("update_group_participants")[0]
        assert promote.args[2] is ParticipantChange.PROMOTE
        assert body == group_metadata(info())


async def test_failures_use_upstream_messages(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        channel.client.answer("is_on_whatsapp", [])
        channel.client.answer("create_group", RuntimeError("not-authorized"))
        with pytest.raises(ChannelError) as created:
            await channel.group_create(CreateGroup(subject="s", participants=["5511900000002"]))
        assert (created.value.status, created.value.messages) == (
            500,
            ["Error creating group", "Error: not-authorized"],
        )

        channel.client.answer("get_group_info", RuntimeError("item-not-found"))
        with pytest.raises(ChannelError) as found:
            await channel.group_find_info(GroupJid(groupJid=GROUP))
        assert (found.value.status, found.value.messages) == (404, ["Error fetching group", "Error: item-not-found"])

        channel.client.answer("get_group_info_from_link", RuntimeError("gone"))
        with pytest.raises(ChannelError) as invite:
            await channel.group_invite_info(GroupInvite(inviteCode="F1EX5QZxO181L3TMVP31gY"))
        assert (invite.value.status, invite.value.messages) == (404, ["No invite info", "F1EX5QZxO181L3TMVP31gY"])

        channel.open = False
        with pytest.raises(ChannelError) as closed:
            await channel.group_leave(GroupJid(groupJid=GROUP))
        assert closed.value.messages == ['The "ops-test" instance is not connected']


async def test_find_info_and_fetch_all(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        client = channel.client
        client.answer("get_group_info", info())
        client.answer("get_profile_picture", ProfilePictureInfo(URL="https://pps.whatsapp.net/p.jpg"))
        found = await channel.group_find_info(GroupJid(groupJid=GROUP))
        assert list(found) == [
            "id", "subject", "subjectOwner", "subjectTime", "pictureUrl", "size", "creation", "owner", "desc",
            "descId", "restrict", "announce", "isCommunity", "isCommunityAnnounce", "linkedParent", "participants",
        ]  # fmt: skip
        assert found["pictureUrl"] == "https://pps.whatsapp.net/p.jpg"
        client.answer("get_joined_groups", [info(), info()])
        client.answer("get_profile_picture", RuntimeError("no picture"))
        groups = await channel.group_fetch_all(GetParticipants(getParticipants="false"))
        assert len(groups) == 2 and "participants" not in groups[0] and groups[0]["pictureUrl"] is None
        with_members = await channel.group_fetch_all(GetParticipants(getParticipants="true"))
        assert len(with_members[0]["participants"]) == 3


async def test_invites_settings_participants_ephemeral_leave(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        client = channel.client
        client.answer("get_group_invite_link", "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv")
        assert await channel.group_invite_code(GroupJid(groupJid=GROUP)) == {
            "inviteUrl": "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv",
            "inviteCode": "AbCdEfGhIjKlMnOpQrStUv",
        }
        assert await channel.group_revoke_invite(GroupJid(groupJid=GROUP)) == {
            "revoked": True,
            "inviteCode": "AbCdEfGhIjKlMnOpQrStUv",
        }
        assert [c.args[1] for c in client.called("get_group_invite_link")] == [False, True]

        client.answer("join_group_with_link", jid(GROUP))
        assert await channel.group_accept_invite(GroupInvite(inviteCode="AbCdEfGhIjKlMnOpQrStUv")) == {
            "accepted": True,
            "groupJid": GROUP,
        }

        assert await channel.group_update_setting(GroupUpdateSetting(groupJid=GROUP, action="not_announcement")) == {}
        assert await channel.group_update_setting(GroupUpdateSetting(groupJid=GROUP, action="locked")) == {}
        assert client.called("set_group_announce")[0].args[1] is False
        assert client.called("set_group_locked")[0].args[1] is True

        client.answer(
            "update_group_participants",
            [
                GroupParticipant(JID=jid("5511900000002@s.whatsapp.net")),
                GroupParticipant(JID=jid("5511900000003@s.whatsapp.net"), Error=403),
            ],
        )
        result = await channel.group_update_participants(
            GroupUpdateParticipants(groupJid=GROUP, action="remove", participants=["5511900000002", "5511900000003"])
        )
        assert result == {
            "updateParticipants": [
                {"status": "200", "jid": "5511900000002@s.whatsapp.net"},
                {"status": "403", "jid": "5511900000003@s.whatsapp.net"},
            ]
        }
        assert client.called("update_group_participants")[-1].args[2] is ParticipantChange.REMOVE

        assert await channel.group_toggle_ephemeral(GroupToggleEphemeral(groupJid=GROUP, expiration=604800)) == {
            "success": True
        }
        assert client.called("set_disappearing_timer")[0].args[1] == 604800 * 10**9

        assert await channel.group_leave(GroupJid(groupJid=GROUP)) == {"groupJid": GROUP, "leave": True}
        left = client.called("leave_group")[0].args[0]
        assert (left.User, left.Server, left.Device, left.RawAgent, left.Integrator) == (
            "120363000000000001",
            "g.us",
            0,
            0,
            0,
        )


async def test_send_invite_sends_text_to_each_number(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        from evolution_py.dto.group import GroupSendInvite

        channel.client.answer("get_group_invite_link", "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv")
        body = await channel.group_send_invite(
            GroupSendInvite(groupJid=GROUP, description="Join us", numbers=["5511900000002", "5511900000003"])
        )
        assert body == {"send": True, "inviteUrl": "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv"}
        sent = channel.client.called("send_message")
        assert [c.args[0].User for c in sent] == ["5511900000002", "5511900000003"]
        assert sent[0].args[1] == "Join us\n\nhttps://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv"


async def test_send_invite_goes_through_the_channels_send_path_when_there_is_one(tmp_path: Path) -> None:
    from evolution_py.dto.group import GroupSendInvite
    from evolution_py.dto.message import SendText

    sent: list[SendText] = []

    class Messages(Messaging):
        async def send_text(self, req: SendText) -> dict[str, Any]:
            sent.append(req)
            return {"key": {"id": f"INVITE{len(sent)}", "remoteJid": req.number, "fromMe": True}, "message": {}}

    async with ops_channel(tmp_path, messaging=Messages()) as channel:
        channel.client.answer("get_group_invite_link", "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv")
        await channel.group_send_invite(GroupSendInvite(groupJid=GROUP, description="Hi", numbers=["5511900000002"]))
        assert sent == [SendText(number="5511900000002", text="Hi\n\nhttps://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv")]
        assert channel.client.called("send_message") == []
        # Like every send, the invite text is stored and emitted as send.message.
        assert [(name, data["key"]["id"]) for name, data in channel.ctx.events] == [("send.message", "INVITE1")]
        assert await channel.ctx.store.find_message_by_key_id("INVITE1") is not None


async def test_group_picture_is_sent_as_square_jpeg(tmp_path: Path) -> None:
    import base64
    import io

    from PIL import Image

    from evolution_py.dto.group import GroupPicture

    out = io.BytesIO()
    Image.new("RGBA", (300, 500), (0, 0, 255, 128)).save(out, "PNG")
    async with ops_channel(tmp_path) as channel:
        data_url = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
        assert await channel.group_update_picture(GroupPicture(groupJid=GROUP, image=data_url)) == {"update": "success"}
        target, jpeg = channel.client.called("set_group_photo")[0].args
        assert target.Server == "g.us"
        assert Image.open(io.BytesIO(jpeg)).format == "JPEG" and Image.open(io.BytesIO(jpeg)).size == (300, 300)
        with pytest.raises(ChannelError) as bad:
            await channel.group_update_picture(GroupPicture(groupJid=GROUP, image="???"))
        assert bad.value.status == 500
        assert bad.value.messages == ["Error update group picture", 'Error: "profilePicture" must be a url or a base64']
