"""`/message/send*` without media on WhatsApp Web: build the waE2E message (text, location, contact,
reaction, poll, list, buttons) and hand it to the one send path (`sender.Sender`)."""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from evolution_py.channels.base import ChannelError
from evolution_py.channels.capabilities import Messaging, Record
from evolution_py.channels.jid import create_jid
from evolution_py.channels.whatsapp_web.errors import CHANNEL_LABEL
from evolution_py.channels.whatsapp_web.sender import Sender
from evolution_py.channels.whatsapp_web.session import neonize
from evolution_py.dto.message import (
    SendButtons,
    SendContact,
    SendList,
    SendLocation,
    SendPoll,
    SendReaction,
    SendTemplate,
    SendText,
    is_reaction,
    validate_buttons,
)

_LINK = re.compile(r"https?://\S+", re.IGNORECASE)


class MessagesFeature(Messaging):
    label = CHANNEL_LABEL

    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    # --- text, location, contact, reaction, poll, list, buttons -------------------------------

    async def send_text(self, req: SendText) -> Record:
        if not req.text.strip():
            raise ChannelError("Text is required")
        # upstream previews links unless `linkPreview: false`; neonize builds the preview from the text
        preview = req.text if req.linkPreview is not False and _LINK.search(req.text) else None
        message = neonize().e2e.Message(conversation=req.text)
        return await self.sender.send(req.number, message, req, link_preview_text=preview)

    async def send_location(self, req: SendLocation) -> Record:
        pb = neonize().e2e
        location = pb.LocationMessage(
            degreesLatitude=req.latitude, degreesLongitude=req.longitude, name=req.name, address=req.address
        )
        return await self.sender.send(req.number, pb.Message(locationMessage=location), req)

    async def send_contact(self, req: SendContact) -> Record:
        if not req.contact:
            raise ChannelError("contact must have at least one item")
        pb = neonize().e2e
        cards = [pb.ContactMessage(displayName=card.fullName, vcard=_vcard(card)) for card in req.contact]
        if len(cards) == 1:
            message = pb.Message(contactMessage=cards[0])
        else:
            message = pb.Message(
                contactsArrayMessage=pb.ContactsArrayMessage(displayName=f"{len(cards)} contacts", contacts=cards)
            )
        return await self.sender.send(req.number, message, req)

    async def send_reaction(self, req: SendReaction) -> Record:
        if not is_reaction(req.reaction):
            raise ChannelError("Reaction must be a single emoji or empty string")
        if not req.key.remoteJid:
            raise ChannelError('key requires property "remoteJid"')
        api = neonize()
        jid = create_jid(req.key.remoteJid)
        key = api.MessageKey(remoteJID=jid, fromMe=bool(req.key.fromMe), ID=req.key.id)
        if req.key.participant:
            key.participant = req.key.participant
        reaction = api.e2e.ReactionMessage(key=key, text=req.reaction, senderTimestampMS=int(time.time() * 1000))
        return await self.sender.send(jid, api.e2e.Message(reactionMessage=reaction), None, checked_jid=jid)

    async def send_poll(self, req: SendPoll) -> Record:
        if not 0 <= req.selectableCount <= 10:
            raise ChannelError("selectableCount must be between 0 and 10")
        if not 2 <= len(req.values) <= 10 or len(set(req.values)) != len(req.values):
            raise ChannelError("values must have 2 to 10 unique items")
        pb = neonize().e2e
        poll = pb.PollCreationMessage(
            name=req.name,
            options=[pb.PollCreationMessage.Option(optionName=value) for value in req.values],
            selectableOptionsCount=req.selectableCount,
        )
        message = pb.Message(pollCreationMessage=poll)
        # the secret lets recipients encrypt their votes; WhatsApp drops polls without one
        message.messageContextInfo.messageSecret = os.urandom(32)
        return await self.sender.send(req.number, message, req)

    async def send_list(self, req: SendList) -> Record:
        if not req.sections or any(not section.rows for section in req.sections):
            raise ChannelError("sections must have at least one section with at least one row")
        pb = neonize().e2e
        sections = [
            pb.ListMessage.Section(
                title=section.title,
                rows=[
                    pb.ListMessage.Row(title=row.title, description=row.description or "", rowID=row.rowId)
                    for row in section.rows
                ],
            )
            for section in req.sections
        ]
        listing = pb.ListMessage(
            title=req.title,
            description=req.description or "",
            buttonText=req.buttonText,
            footerText=req.footerText,
            listType=pb.ListMessage.SINGLE_SELECT,
            sections=sections,
        )
        return await self.sender.send(req.number, pb.Message(listMessage=listing), req)

    async def send_buttons(self, req: SendButtons) -> Record:
        try:
            validate_buttons(req.buttons)
        except ValueError as exc:
            raise ChannelError(str(exc)) from None
        pb = neonize().e2e
        interactive = pb.InteractiveMessage
        flow = interactive.NativeFlowMessage(
            buttons=[
                interactive.NativeFlowMessage.NativeFlowButton(name=name, buttonParamsJSON=json.dumps(params))
                for name, params in (_native_button(button) for button in req.buttons)
            ]
        )
        message = interactive(
            header=interactive.Header(title=req.title or "", hasMediaAttachment=False),
            body=interactive.Body(text=req.description or ""),
            footer=interactive.Footer(text=req.footer or ""),
            nativeFlowMessage=flow,
        )
        return await self.sender.send(req.number, pb.Message(interactiveMessage=message), req)

    async def send_template(self, req: SendTemplate) -> Record:
        # upstream answers this Cloud-API-only route with a 500 on Baileys; clients may rely on it
        raise ChannelError("Method not available in the Baileys service", status=500)


# --- helpers ------------------------------------------------------------------------------------


def _vcard(card: Any) -> str:
    wuid = card.wuid or "".join(ch for ch in card.phoneNumber if ch.isdigit())
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{card.fullName}"]
    if card.organization:
        lines.append(f"ORG:{card.organization};")
    if card.email:
        lines.append(f"EMAIL:{card.email}")
    if card.url:
        lines.append(f"URL:{card.url}")
    lines.append(f"item1.TEL;waid={wuid}:{card.phoneNumber}")
    lines.append("item1.X-ABLabel:Celular")
    lines.append("END:VCARD")
    return "\n".join(lines)


def _native_button(button: Any) -> tuple[str, dict[str, Any]]:
    text = button.displayText or ""
    if button.type == "reply":
        return "quick_reply", {"display_text": text, "id": button.id or text}
    if button.type == "url":
        return "cta_url", {"display_text": text, "url": button.url or "", "merchant_url": button.url or ""}
    if button.type == "copy":
        return "cta_copy", {"display_text": text, "copy_code": button.copyCode or ""}
    if button.type == "call":
        return "cta_call", {"display_text": text, "phone_number": button.phoneNumber or ""}
    return "payment_info", {
        "currency": button.currency or "BRL",
        "total_amount": {"value": 0, "offset": 100},
        "reference_id": str(int(time.time())),
        "type": "physical-goods",
        "order": {"status": "pending", "subtotal": {"value": 0, "offset": 100}, "order_type": "ORDER", "items": []},
        "payment_settings": [
            {
                "type": "pix_static_code",
                "pix_static_code": {
                    "merchant_name": button.name or "",
                    "key": button.key or "",
                    "key_type": (button.keyType or "random").upper(),
                },
            }
        ],
        "share_payment_status": False,
    }
