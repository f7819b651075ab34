"""Profile, privacy, business, label and call features over the recording fake client."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from neonize.proto.Neonize_pb2 import (
    GetUserInfoSingleReturnFunction,
    IsOnWhatsAppResponse,
    PrivacySettings,
    ProfilePictureInfo,
    UserInfo,
    VerifiedName,
)
from neonize.proto.waVnameCert.WAWebProtobufsVnameCert_pb2 import VerifiedNameCertificate
from PIL import Image

from evolution_py.channels.base import ChannelError
from evolution_py.dto.business import CatalogQuery
from evolution_py.dto.call import OfferCall
from evolution_py.dto.chat import PrivacySettings as PrivacyBody
from evolution_py.dto.label import HandleLabel
from evolution_py.store.models import Label
from tests.support.fake_neonize_ops import jid, ops_channel

PEER = "5511900000002@s.whatsapp.net"
ON_WHATSAPP = [IsOnWhatsAppResponse(Query="+5511900000002", JID=jid(PEER), IsIn=True)]


def png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), (200, 10, 10)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def test_privacy_read_and_write(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        channel.client.answer(
            "get_privacy_settings",
            PrivacySettings(
                ReadReceipts=PrivacySettings.ALL,
                Profile=PrivacySettings.CONTACTS,
                Status=PrivacySettings.CONTACT_BLACKLIST,
                Online=PrivacySettings.MATCH_LAST_SEEN,
                LastSeen=PrivacySettings.NONE,
                GroupAdd=PrivacySettings.ALL,
            ),
        )
        assert await channel.fetch_privacy_settings() == {
            "readreceipts": "all",
            "profile": "contacts",
            "status": "contact_blacklist",
            "online": "match_last_seen",
            "last": "none",
            "groupadd": "all",
        }
        body = PrivacyBody(
            readreceipts="none",
            profile="contact_blacklist",
            status="all",
            online="all",
            last="contacts",
            groupadd="none",
        )
        assert await channel.update_privacy_settings(body) == {
            "update": "success",
            "data": {
                "readreceipts": "none",
                "profile": "contact_blacklist",
                "status": "all",
                "online": "all",
                "last": "contacts",
                "groupadd": "none",
            },
        }
        # what neonize hands to Go: `name.value` and `value.value`, whatsmeow's spelling
        sent = [(c.args[0].value, c.args[1].value) for c in channel.client.called("set_privacy_setting")]
        assert sent == [
            ("readreceipts", "none"),
            ("profile", "contact_blacklist"),
            ("status", "all"),
            ("online", "all"),
            ("last", "contacts"),
            ("groupadd", "none"),
        ]


async def test_name_status_picture(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        assert await channel.update_profile_name("Me") == {"update": "success"}
        assert await channel.update_profile_status("Busy") == {"update": "success"}
        assert channel.client.called("set_profile_name")[0].args == ("Me",)
        assert channel.client.called("set_status_message")[0].args == ("Busy",)
        assert await channel.update_profile_picture(png()) == {"update": "success"}
        jpeg = channel.client.called("set_profile_photo")[0].args[0]
        image = Image.open(io.BytesIO(jpeg))
        assert (image.format, image.size) == ("JPEG", (600, 600))
        with pytest.raises(ChannelError) as bad:
            await channel.update_profile_picture("not base64 !")
        assert bad.value.status == 500 and bad.value.messages[0] == "Error updating profile picture"
        with pytest.raises(ChannelError) as removal:
            await channel.remove_profile_picture()
        assert removal.value.messages[0].startswith("removeProfilePicture is not available")


async def test_picture_url_and_profile(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        client = channel.client
        client.answer("get_profile_picture", ProfilePictureInfo(URL="https://pps.whatsapp.net/a.jpg"))
        assert await channel.fetch_profile_picture_url("5511900000002") == {
            "wuid": PEER,
            "profilePictureUrl": "https://pps.whatsapp.net/a.jpg",
        }
        client.answer("get_profile_picture", RuntimeError("not-authorized"))
        assert (await channel.fetch_profile_picture_url("5511900000002"))["profilePictureUrl"] is None

        client.answer("is_on_whatsapp", ON_WHATSAPP)
        client.answer(
            "get_user_info", [GetUserInfoSingleReturnFunction(JID=jid(PEER), UserInfo=UserInfo(Status="Hey"))]
        )
        profile = await channel.fetch_profile("5511900000002")
        assert profile == {
            "wuid": PEER,
            "name": None,
            "numberExists": True,
            "picture": None,
            "status": "Hey",
            "isBusiness": False,
            "email": None,
            "description": None,
            "website": None,
        }
        client.answer("is_on_whatsapp", [IsOnWhatsAppResponse(Query="+5511900000002", IsIn=False)])
        with pytest.raises(ChannelError) as absent:
            await channel.fetch_profile("5511900000002")
        assert absent.value.messages == [{"jid": PEER, "exists": False, "number": PEER}]


async def test_business_profile(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        client = channel.client
        business = UserInfo(VerifiedName=VerifiedName(Details=VerifiedNameCertificate.Details(verifiedName="Acme Ltd")))
        client.answer("get_user_info", [GetUserInfoSingleReturnFunction(JID=jid(PEER), UserInfo=business)])
        body = await channel.fetch_business_profile("5511900000002")
        assert body["isBusiness"] is True and body["wid"] == PEER and body["name"] == "Acme Ltd"
        client.answer("get_user_info", [GetUserInfoSingleReturnFunction(JID=jid(PEER), UserInfo=UserInfo())])
        client.answer("is_on_whatsapp", ON_WHATSAPP)
        assert await channel.fetch_business_profile("5511900000002") == {
            "isBusiness": False,
            "message": "Not is business profile",
            "jid": PEER,
            "exists": True,
            "number": "5511900000002",
        }
        with pytest.raises(ChannelError) as catalog:
            await channel.get_catalog(CatalogQuery(number="5511900000002"))
        assert catalog.value.messages[0].startswith("getCatalog is not available")


async def test_labels_and_call(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        store = channel.ctx.store
        async with store.db.transaction() as session:
            session.add(Label(labelId="1", name="New", color="1", predefinedId=None, instanceId=store.instance_id))
        assert await channel.find_labels() == [{"color": "1", "name": "New", "id": "1", "predefinedId": None}]
        channel.client.answer("is_on_whatsapp", [IsOnWhatsAppResponse(Query="+5511900000002", IsIn=False)])
        with pytest.raises(ChannelError) as absent:
            await channel.handle_label(HandleLabel(number="5511900000002", labelId="1", action="add"))
        assert (absent.value.status, absent.value.messages) == (404, ["Number is not on WhatsApp"])
        channel.client.answer("is_on_whatsapp", ON_WHATSAPP)
        with pytest.raises(ChannelError) as patch:
            await channel.handle_label(HandleLabel(number="5511900000002", labelId="1", action="add"))
        assert patch.value.messages[0].startswith("handleLabel is not available")
        assert await channel.offer_call(OfferCall(number="5511900000002", callDuration=5)) == {
            "id": "123",
            "jid": PEER,
            "callDuration": 5,
        }
        assert await channel.offer_call(OfferCall(number="5511900000002", callDuration=5, isVideo=True)) == {
            "id": "123",
            "jid": PEER,
            "isVideo": True,
            "callDuration": 5,
        }


async def test_own_profile(tmp_path: Path) -> None:
    from neonize.proto.Neonize_pb2 import Device

    async with ops_channel(tmp_path, owner="5511900000001@s.whatsapp.net") as channel:
        client = channel.client
        client.answer("get_me", Device(JID=jid("5511900000001@s.whatsapp.net"), PushName="Me"))
        client.answer(
            "is_on_whatsapp",
            [IsOnWhatsAppResponse(Query="+5511900000001", JID=jid("5511900000001@s.whatsapp.net"), IsIn=True)],
        )
        client.answer("get_user_info", [])
        client.answer("get_profile_picture", ProfilePictureInfo(URL="https://pps.whatsapp.net/me.jpg"))
        channel.state = "open"
        assert await channel.fetch_profile(None) == {
            "wuid": "5511900000001@s.whatsapp.net",
            "name": "Me",
            "numberExists": True,
            "picture": "https://pps.whatsapp.net/me.jpg",
            "status": "open",
            "isBusiness": False,
            "email": None,
            "description": None,
            "website": None,
        }
