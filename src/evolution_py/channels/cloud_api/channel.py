"""The `WHATSAPP-BUSINESS` channel: Meta's WhatsApp Cloud API. Composes one feature object per
capability over one `Graph` (the instance's access token) and one `Sender`. There is no socket to
keep: the state is `open` from creation; logout closes it until the next connect (as upstream)."""

from __future__ import annotations

from evolution_py.channels.base import BaseChannel, ConnectionState, InstanceContext, QrCode
from evolution_py.channels.capabilities import Profile, Record
from evolution_py.channels.cloud_api.business import BusinessFeature
from evolution_py.channels.cloud_api.chats import ChatsFeature
from evolution_py.channels.cloud_api.config import CloudApiConfig
from evolution_py.channels.cloud_api.graph import Graph
from evolution_py.channels.cloud_api.inbound import InboundFeature
from evolution_py.channels.cloud_api.media import MediaFeature
from evolution_py.channels.cloud_api.messages import MessagesFeature
from evolution_py.channels.cloud_api.sender import Sender
from evolution_py.channels.cloud_api.templates import TemplatesFeature
from evolution_py.channels.jid import create_jid
from evolution_py.outbound import OutboundClient

LABEL = "WhatsApp Business API"


class ProfileFeature(Profile):
    """upstream answers a profile picture request with the JID and no picture; the rest is not available."""

    label = LABEL

    async def fetch_profile_picture_url(self, number: str | None) -> Record:
        return {"wuid": create_jid(number or ""), "profilePictureUrl": None}


class CloudApiChannel(BaseChannel):
    integration = "WHATSAPP-BUSINESS"
    label = LABEL

    def __init__(
        self, ctx: InstanceContext, config: CloudApiConfig, http: OutboundClient, tenant_http: OutboundClient
    ) -> None:
        super().__init__(ctx)
        self._state: ConnectionState = "open"
        self._http = http
        self._tenant_http = tenant_http
        phone_number_id = ctx.number or ""
        # The WhatsApp Business account id given at create (`businessId`): templates and catalogs.
        found = getattr(ctx, "business_id", None)
        business_id = found if isinstance(found, str) and found else None
        graph = Graph(config, ctx.token or "", http)
        sender = Sender(graph, phone_number_id, ctx.instance_id)
        media = MediaFeature(graph, sender, ctx.store, LABEL)
        self.messaging = MessagesFeature(sender, LABEL, config.language)
        self.media = media
        self.chats = ChatsFeature(sender, LABEL)
        self.profile = ProfileFeature()
        self.business = BusinessFeature(graph, phone_number_id, business_id, LABEL)
        self.templates = TemplatesFeature(graph, ctx.store.db, ctx.instance_id, business_id, LABEL)
        self.inbound = InboundFeature(ctx, sender, media, tenant_http, LABEL)

    @property
    def state(self) -> ConnectionState:
        return self._state

    async def connect(self, number: str | None = None) -> QrCode | None:
        self._state = "open"
        return None

    async def logout(self) -> None:
        self._state = "close"

    async def restart(self) -> None:
        return None

    async def close(self) -> None:
        await self._http.close()
        await self._tenant_http.close()
