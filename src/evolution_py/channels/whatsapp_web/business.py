"""`/business/*` and `/chat/fetchBusinessProfile` on WhatsApp Web.

whatsmeow's user info carries the verified business name certificate, so "is this a business"
is answered; the profile's description/email/website/category need whatsmeow's
`GetBusinessProfile`, which neonize 0.5.2 does not export, so they come back null. Catalogs and
collections have no whatsmeow call at all.
"""

from __future__ import annotations

from typing import Any

from evolution_py.channels.base import InstanceContext
from evolution_py.channels.capabilities import Business, Record
from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsapp_web.errors import CATALOG, CHANNEL_LABEL, go_failures, unsupported
from evolution_py.channels.whatsapp_web.jids import jid_str, to_jid
from evolution_py.channels.whatsapp_web.numbers import check_numbers
from evolution_py.channels.whatsapp_web.session import Session
from evolution_py.dto.business import CatalogQuery


def verified_name(user_info: Any) -> str | None:
    """The business name from whatsmeow's VerifiedName (None for a personal account)."""
    if user_info is None or not user_info.HasField("VerifiedName"):
        return None
    details = user_info.VerifiedName.Details
    return details.verifiedName or None if details.ListFields() else None


def business_profile(jid: str, name: str | None) -> dict[str, Any]:
    return {
        "isBusiness": True,
        "wid": jid,
        "name": name,
        "description": None,
        "email": None,
        "website": [],
        "category": None,
        "address": None,
        "business_hours": None,
    }


async def user_info_of(session: Session, jid: str) -> Any:
    """whatsmeow's UserInfo for one JID (None when whatsmeow has none)."""
    infos = await session.call(lambda client: client.get_user_info(to_jid(jid)))
    for item in infos:
        if jid_str(item.JID) == jid or len(infos) == 1:
            return item.UserInfo
    return None


class BusinessFeature(Business):
    label = CHANNEL_LABEL

    def __init__(self, session: Session, ctx: InstanceContext) -> None:
        self.session = session
        self.ctx = ctx

    async def fetch_business_profile(self, number: str | None) -> Record:
        self.session.require_open()
        jid = create_jid(number) if number else (self.session.owner_jid or "")
        with go_failures("Error getting business profile", status=500):
            info = await user_info_of(self.session, jid)
        name = verified_name(info)
        if info is None or not info.HasField("VerifiedName"):
            checked = (await check_numbers(self.session, [number or jid]))[0]
            return {"isBusiness": False, "message": "Not is business profile", **checked}
        return business_profile(jid, name)

    async def get_catalog(self, req: CatalogQuery) -> Record:
        self.session.require_open()
        raise unsupported("getCatalog", CATALOG)

    async def get_collections(self, req: CatalogQuery) -> Record:
        self.session.require_open()
        raise unsupported("getCollections", CATALOG)
