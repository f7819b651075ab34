"""`/baileys/*` on WhatsApp Web: the Baileys socket calls whatsmeow can answer, in Baileys' shapes.
(The Baileys internals with no whatsmeow equivalent are refused by the route module.)"""

from __future__ import annotations

from typing import Any

from evolution_py.channels.capabilities import BaileysInternals, Record
from evolution_py.channels.whatsapp_web.errors import CHANNEL_LABEL, go_failures
from evolution_py.channels.whatsapp_web.jids import jid_str, to_jid
from evolution_py.channels.whatsapp_web.session import Session, neonize

# Baileys' WAJIDDomains by JID server
_DOMAIN_TYPES = {"s.whatsapp.net": 0, "lid": 1, "hosted": 128, "hosted.lid": 129}


def full_jid(jid: Any) -> str:
    """`user:device@server` (the device kept, as Baileys' creds.me.id has it)."""
    device = f":{jid.Device}" if jid.Device else ""
    return f"{jid.User}{device}@{jid.Server}"


class BaileysFeature(BaileysInternals):
    label = CHANNEL_LABEL

    def __init__(self, session: Session) -> None:
        self.session = session

    async def on_whatsapp(self, jid: str) -> list[Record]:
        """Baileys' onWhatsApp: `[{jid, exists: true}]` for a registered number, `[]` otherwise
        (Baileys filters out the numbers without an account, and skips LIDs)."""
        self.session.require_open()
        if jid.endswith("@lid"):
            return []
        phone = "+" + jid.replace("+", "").split("@")[0].split(":")[0]
        with go_failures():
            answers = await self.session.call(lambda client: client.is_on_whatsapp(phone))
        return [{"jid": jid_str(answer.JID), "exists": True} for answer in answers if answer.IsIn]

    async def profile_picture_url(self, jid: str, preview: bool) -> str | None:
        self.session.require_open()
        params = neonize().GetProfilePictureParams(Preview=preview)
        with go_failures():
            info = await self.session.call(lambda client: client.get_profile_picture(to_jid(jid), params))
        return (info.URL or None) if info is not None else None

    async def usync_devices(self, jids: list[str], ignore_zero_devices: bool) -> list[Record]:
        """Baileys' getUSyncDevices: `[{user, device, domainType, server}]`, without our own device,
        without device 0 when asked."""
        self.session.require_open()
        with go_failures():
            devices = await self.session.call(lambda client: client.get_user_devices(*[to_jid(j) for j in jids]))
            me = await self.session.call(lambda client: client.get_me())
        own = {(me.JID.User, me.JID.Device), (me.LID.User, me.JID.Device)} if me is not None else set()
        out: list[Record] = []
        for device in devices:
            if (ignore_zero_devices and device.Device == 0) or (device.User, device.Device) in own:
                continue
            server = device.Server or "s.whatsapp.net"
            entry = {"user": device.User, "device": int(device.Device), "domainType": _DOMAIN_TYPES.get(server, 0)}
            out.append({**entry, "server": server})
        return out

    async def auth_state(self) -> Record:
        """Baileys' `{me, account}`: `me` is the paired device (`id` with its device number, `name`,
        `lid`); whatsmeow keeps the account's signed identity to itself, so `account` is left out."""
        self.session.require_open()
        with go_failures():
            me = await self.session.call(lambda client: client.get_me())
        identity: dict[str, Any] = {"id": full_jid(me.JID)}
        if me.PushName:
            identity["name"] = me.PushName
        if me.LID.User:
            identity["lid"] = full_jid(me.LID)
        return {"me": identity}
