"""`Business` on the Cloud API: the products and collections (product sets) of the catalog linked to
the instance's WhatsApp Business account (`businessId`), over the Graph API. Meta shows an account its
own catalog only: another number's answers 400."""

from __future__ import annotations

from typing import Any

from evolution_py.channels.capabilities import Business, ChannelError, Record
from evolution_py.channels.cloud_api.graph import Graph
from evolution_py.channels.jid import create_jid
from evolution_py.dto.business import CatalogQuery

NO_BUSINESS_ID = "businessId is required: create the instance with the WhatsApp Business account id"
MAX_COLLECTIONS = 20


class BusinessFeature(Business):
    def __init__(self, graph: Graph, phone_number_id: str, business_id: str | None, label: str) -> None:
        self.graph = graph
        self.phone_number_id = phone_number_id
        self.business_id = business_id
        self.label = label
        self._own_number: str | None = None

    async def _own_jid(self, number: str | None) -> str:
        if self._own_number is None:
            info = await self.graph.call("GET", self.phone_number_id, params={"fields": "display_phone_number"})
            shown = info.get("display_phone_number") if isinstance(info, dict) else None
            self._own_number = "".join(ch for ch in str(shown or self.phone_number_id) if ch.isdigit())
        own = create_jid(self._own_number)
        if number and create_jid(number) != own:
            raise ChannelError("Only the account's own catalog is available on WhatsApp Business API")
        return own

    async def _catalog_id(self) -> str | None:
        if not self.business_id:
            raise ChannelError(NO_BUSINESS_ID)
        answer = await self.graph.call("GET", f"{self.business_id}/product_catalogs")
        catalogs = answer.get("data") if isinstance(answer, dict) else None
        if not catalogs or not isinstance(catalogs[0], dict):
            return None
        found = catalogs[0].get("id")
        return str(found) if found else None

    async def _list(self, path: str, limit: int) -> list[Any]:
        answer = await self.graph.call("GET", path, params={"limit": str(limit)})
        data = answer.get("data") if isinstance(answer, dict) else None
        return data if isinstance(data, list) else []

    async def get_catalog(self, req: CatalogQuery) -> Record:
        wuid = await self._own_jid(req.number)
        limit = max(1, int(req.limit or 10))
        catalog_id = await self._catalog_id()
        products = await self._list(f"{catalog_id}/products", limit) if catalog_id else []
        return {
            "wuid": wuid,
            "numberExists": True,
            "isBusiness": True,
            "catalogLength": len(products),
            "catalog": products,
        }

    async def get_collections(self, req: CatalogQuery) -> Record:
        wuid = await self._own_jid(req.number)
        limit = min(max(1, int(req.limit or 10)), MAX_COLLECTIONS)
        catalog_id = await self._catalog_id()
        collections = await self._list(f"{catalog_id}/product_sets", limit) if catalog_id else []
        return {
            "wuid": wuid,
            "name": None,
            "numberExists": True,
            "isBusiness": True,
            "collectionsLength": len(collections),
            "collections": collections,
        }
