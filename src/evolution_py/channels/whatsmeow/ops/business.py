"""`/business/*` and `/chat/fetchBusinessProfile` on whatsmeow.

whatsmeow's user info carries the verified business name certificate, so "is this a business"
is answered; the profile's description/email/website/category need whatsmeow's
`GetBusinessProfile`, which neonize 0.5.2 does not export, so they come back null. Catalogs and
collections have no whatsmeow call at all.
"""

from __future__ import annotations

from typing import Any

from evolution_py.channels.base import ChannelError
from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsmeow.ops.common import error_text, jid_str, to_jid
from evolution_py.channels.whatsmeow.ops.host import OpsMixin
from evolution_py.channels.whatsmeow.ops.numbers import check_numbers
from evolution_py.channels.whatsmeow.ops.unsupported import CATALOG, unsupported
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


async def user_info_of(client: Any, jid: str) -> Any:
    """whatsmeow's UserInfo for one JID (None when whatsmeow has none)."""
    infos = await client.get_user_info(to_jid(jid))
    for item in infos:
        if jid_str(item.JID) == jid or len(infos) == 1:
            return item.UserInfo
    return None


class BusinessOps(OpsMixin):
    async def fetch_business_profile(self, number: str | None) -> dict[str, Any]:
        self.require_open()
        jid = create_jid(number) if number else (getattr(self, "owner_jid", None) or "")
        try:
            info = await user_info_of(self.client, jid)
        except Exception as exc:
            raise ChannelError("Error getting business profile", error_text(exc), status=500) from None
        name = verified_name(info)
        if info is None or not info.HasField("VerifiedName"):
            checked = (await check_numbers(self.client, [number or jid]))[0]
            return {"isBusiness": False, "message": "Not is business profile", **checked}
        return business_profile(jid, name)

    async def get_catalog(self, req: CatalogQuery) -> dict[str, Any]:
        self.require_open()
        raise unsupported("getCatalog", CATALOG)

    async def get_collections(self, req: CatalogQuery) -> dict[str, Any]:
        self.require_open()
        raise unsupported("getCollections", CATALOG)
