"""`/call/offer` on WhatsApp Web. Upstream's Baileys channel never places a call either: it answers a
fixed stub. whatsmeow cannot start calls (only reject them), so we keep upstream's answer."""

from __future__ import annotations

from typing import Any

from evolution_py.channels.capabilities import Calls, Record
from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsapp_web.errors import CHANNEL_LABEL
from evolution_py.dto.call import OfferCall


def offer_answer(req: OfferCall) -> Record:
    body: dict[str, Any] = {"id": "123", "jid": create_jid(req.number)}
    if req.isVideo is not None:  # upstream's `undefined` is left out of the JSON
        body["isVideo"] = req.isVideo
    body["callDuration"] = req.callDuration
    return body


class CallsFeature(Calls):
    label = CHANNEL_LABEL

    async def offer_call(self, req: OfferCall) -> Record:
        # upstream answers the stub whatever the connection state: nothing is sent.
        return offer_answer(req)
