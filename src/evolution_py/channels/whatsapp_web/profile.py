"""Profile and privacy routes of `/chat/*` on WhatsApp Web (own name, status, picture, privacy;
another number's picture and profile)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from evolution_py.channels.base import ChannelError, InstanceContext
from evolution_py.channels.capabilities import Profile, Record
from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsapp_web.business import user_info_of, verified_name
from evolution_py.channels.whatsapp_web.errors import (
    CHANNEL_LABEL,
    PICTURE_REMOVAL,
    go_failures,
    unsupported,
)
from evolution_py.channels.whatsapp_web.jids import jid_str, to_jid
from evolution_py.channels.whatsapp_web.media_files import to_jpeg
from evolution_py.channels.whatsapp_web.media_loader import load_media, picture_wording
from evolution_py.channels.whatsapp_web.numbers import check_numbers
from evolution_py.channels.whatsapp_web.session import Session
from evolution_py.dto.chat import PrivacySettings

# whatsmeow's PrivacySettings enum (neonize proto) → the wire value Baileys/upstream show.
PRIVACY_VALUES = {1: "", 2: "all", 3: "contacts", 4: "contact_blacklist", 5: "match_last_seen", 6: "known", 7: "none"}
# upstream's field → (whatsmeow PrivacySettings proto field, whatsmeow setting name)
PRIVACY_FIELDS = {
    "readreceipts": ("ReadReceipts", "readreceipts"),
    "profile": ("Profile", "profile"),
    "status": ("Status", "status"),
    "online": ("Online", "online"),
    "last": ("LastSeen", "last"),
    "groupadd": ("GroupAdd", "groupadd"),
}


@dataclass(frozen=True)
class WireValue:
    """neonize sends `enum.value` to Go as is; its own PrivacySetting enum spells
    `contacts_blacklist`, where whatsmeow (and WhatsApp) use `contact_blacklist`."""

    value: str


def privacy_dict(settings: Any) -> dict[str, str]:
    return {field: PRIVACY_VALUES.get(getattr(settings, proto), "") for field, (proto, _) in PRIVACY_FIELDS.items()}


def privacy_calls(req: PrivacySettings) -> list[tuple[WireValue, WireValue]]:
    """The six `set_privacy_setting(name, value)` calls an update makes, in upstream's order."""
    return [(WireValue(name), WireValue(getattr(req, field))) for field, (_, name) in PRIVACY_FIELDS.items()]


class ProfileFeature(Profile):
    label = CHANNEL_LABEL

    def __init__(self, session: Session, ctx: InstanceContext) -> None:
        self.session = session
        self.ctx = ctx

    async def fetch_profile_picture_url(self, number: str | None) -> Record:
        self.session.require_open()
        jid = create_jid(number) if number else (self.session.owner_jid or "")
        try:
            picture = await self.session.call(lambda client: client.get_profile_picture(to_jid(jid)))
            url = picture.URL or None if picture is not None else None
        except Exception:  # noqa: BLE001 - no picture, a private one, or no answer: upstream shows null
            url = None
        return {"wuid": jid, "profilePictureUrl": url}

    async def fetch_profile(self, number: str | None) -> Record:
        self.session.require_open()
        own_name: str | None = None
        if number:
            jid = create_jid(number)
        else:
            # Own profile: upstream reads its instance row; whatsmeow's device store has the same.
            me = await self.session.call(lambda client: client.get_me())
            own_name = me.PushName or None
            jid = self.session.owner_jid or jid_str(me.JID)
        checked = (await check_numbers(self.session, [jid]))[0]
        if not checked["exists"]:
            raise ChannelError({"jid": checked["jid"], "exists": False, "number": checked["number"]}, status=400)
        jid = checked["jid"]
        try:
            info = await user_info_of(self.session, jid)
            picture = (await self.fetch_profile_picture_url(jid))["profilePictureUrl"]
        except Exception:  # noqa: BLE001 - as upstream: a profile it cannot read is answered empty, not as an error
            return {"wuid": jid, "name": None, "picture": None, "status": None, "os": None, "isBusiness": False}
        business = info is not None and info.HasField("VerifiedName")
        name = verified_name(info) if business else checked.get("name")
        return {
            "wuid": jid,
            "name": name if number else (own_name or name),
            "numberExists": True,
            "picture": picture,
            # Own profile: upstream reports the instance's connection status there.
            "status": (info.Status if info is not None else None) if number else self.session.state,
            "isBusiness": business,
            "email": None,
            "description": None,
            "website": None,
        }

    async def update_profile_name(self, name: str) -> Record:
        self.session.require_open()
        with go_failures("Error updating profile name", status=500):
            await self.session.call(lambda client: client.set_profile_name(name))
        return {"update": "success"}

    async def update_profile_status(self, status: str) -> Record:
        self.session.require_open()
        with go_failures("Error updating profile status", status=500):
            await self.session.call(lambda client: client.set_status_message(status))
        return {"update": "success"}

    async def update_profile_picture(self, picture: str | None) -> Record:
        self.session.require_open()
        with go_failures("Error updating profile picture", status=500):
            loaded = await load_media(
                picture or "", wording=picture_wording("picture"), client=self.ctx.outbound, proxy=self.ctx.proxy.url()
            )
            jpeg = await asyncio.to_thread(to_jpeg, loaded.data)
            await self.session.call(lambda client: client.set_profile_photo(jpeg))
        return {"update": "success"}

    async def remove_profile_picture(self) -> Record:
        self.session.require_open()
        raise unsupported("removeProfilePicture", PICTURE_REMOVAL)

    async def fetch_privacy_settings(self) -> dict[str, str]:
        self.session.require_open()
        return privacy_dict(await self.session.call(lambda client: client.get_privacy_settings()))

    async def _set_privacy(self, name: WireValue, value: WireValue) -> None:
        await self.session.call(lambda client: client.set_privacy_setting(name, value))

    async def update_privacy_settings(self, req: PrivacySettings) -> Record:
        self.session.require_open()
        with go_failures("Error updating privacy settings", status=500):
            for name, value in privacy_calls(req):
                await self._set_privacy(name, value)
        data = {field: getattr(req, field) for field in PRIVACY_FIELDS}
        return {"update": "success", "data": data}
