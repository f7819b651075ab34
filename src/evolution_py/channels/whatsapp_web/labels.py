"""`/label/*` on WhatsApp Web. Labels are read from the store (filled from `labels.edit` events);
changing a chat's labels needs an app-state patch, which neonize 0.5.2 cannot send."""

from __future__ import annotations

from evolution_py.channels.base import ChannelError, InstanceContext
from evolution_py.channels.capabilities import Labels, Record, Records
from evolution_py.channels.whatsapp_web.errors import APP_STATE, CHANNEL_LABEL, unsupported
from evolution_py.channels.whatsapp_web.numbers import check_numbers
from evolution_py.channels.whatsapp_web.session import Session
from evolution_py.dto.label import HandleLabel


class LabelsFeature(Labels):
    label = CHANNEL_LABEL

    def __init__(self, session: Session, ctx: InstanceContext) -> None:
        self.session = session
        self.ctx = ctx

    async def find_labels(self) -> Records:
        return await self.ctx.store.find_labels()

    async def handle_label(self, req: HandleLabel) -> Record:
        self.session.require_open()
        checked = (await check_numbers(self.session, [req.number]))[0]
        if not checked["exists"]:
            raise ChannelError("Number is not on WhatsApp", status=404)
        raise unsupported("handleLabel", APP_STATE)
