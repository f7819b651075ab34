"""`Messaging` on the Cloud API: text, location, contacts, reactions, list and reply buttons (as
interactive messages) and templates. Polls do not exist on Meta's API: "not available"."""

from __future__ import annotations

from typing import Any

from evolution_py.channels.capabilities import ChannelError, Messaging, Record
from evolution_py.channels.cloud_api.sender import Sender
from evolution_py.channels.jid import create_jid
from evolution_py.dto.message import (
    ContactCard,
    SendButtons,
    SendContact,
    SendList,
    SendLocation,
    SendReaction,
    SendTemplate,
    SendText,
)

LIST_DESCRIPTION_CHARS = 72  # Meta's limit for a row's description


def vcard(card: ContactCard) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{card.fullName}", f"FN:{card.fullName}"]
    if card.organization:
        lines.append(f"ORG:{card.organization};")
    if card.email:
        lines.append(f"EMAIL:{card.email}")
    if card.url:
        lines.append(f"URL:{card.url}")
    wuid = card.wuid or create_jid(card.phoneNumber)
    lines += [f"item1.TEL;waid={wuid}:{card.phoneNumber}", "item1.X-ABLabel:Celular", "END:VCARD"]
    return "\n".join(lines)


def meta_contact(card: ContactCard) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "name": {"formatted_name": card.fullName, "first_name": card.fullName},
        "phones": [{"phone": card.phoneNumber, **({"wa_id": card.wuid.split("@")[0]} if card.wuid else {})}],
    }
    if card.url:
        contact["urls"] = [{"url": card.url}]
    if card.email:
        contact["emails"] = [{"email": card.email}]
    if card.organization:
        contact["org"] = {"company": card.organization}
    return contact


class MessagesFeature(Messaging):
    def __init__(self, sender: Sender, label: str, default_language: str) -> None:
        self.sender = sender
        self.label = label
        self.default_language = default_language

    async def send_text(self, req: SendText) -> Record:
        if not req.text.strip():
            raise ChannelError("Text is required")
        body = {"body": req.text, "preview_url": bool(req.linkPreview)}
        return await self.sender.send(
            req.number, "text", body, {"conversation": req.text}, quoted=req.quoted, delay=req.delay
        )

    async def send_location(self, req: SendLocation) -> Record:
        body = {"latitude": req.latitude, "longitude": req.longitude, "name": req.name, "address": req.address}
        message = {
            "locationMessage": {
                "degreesLatitude": req.latitude,
                "degreesLongitude": req.longitude,
                "name": req.name,
                "address": req.address,
            }
        }
        return await self.sender.send(req.number, "location", body, message, quoted=req.quoted, delay=req.delay)

    async def send_contact(self, req: SendContact) -> Record:
        if not req.contact:
            raise ChannelError("contact is required")
        if len(req.contact) == 1:
            card = req.contact[0]
            message: dict[str, Any] = {"contactMessage": {"displayName": card.fullName, "vcard": vcard(card)}}
        else:
            message = {
                "contactsArrayMessage": {
                    "displayName": f"{len(req.contact)} contacts",
                    "contacts": [{"displayName": c.fullName, "vcard": vcard(c)} for c in req.contact],
                }
            }
        # `contacts` is both the type and its (array) object on Meta's API
        return await self.sender.send(
            req.number,
            "contacts",
            [meta_contact(card) for card in req.contact],
            message,
            quoted=req.quoted,
            delay=req.delay,
        )

    async def send_reaction(self, req: SendReaction) -> Record:
        if not req.key.remoteJid:
            raise ChannelError("key.remoteJid is required")
        body = {"message_id": req.key.id, "emoji": req.reaction}
        key = {k: v for k, v in {"id": req.key.id, "remoteJid": req.key.remoteJid, "fromMe": req.key.fromMe}.items()}
        message = {"reactionMessage": {"key": key, "text": req.reaction}}
        return await self.sender.send(req.key.remoteJid, "reaction", body, message)

    async def send_buttons(self, req: SendButtons) -> Record:
        if not req.buttons:
            raise ChannelError("At least one button is required")
        if any(button.type != "reply" for button in req.buttons):
            raise ChannelError("Only reply buttons are available on WhatsApp Business API")
        if len(req.buttons) > 3:
            raise ChannelError("Maximum of 3 reply buttons allowed")
        texts = [button.displayText for button in req.buttons]
        ids = [button.id for button in req.buttons]
        if len(set(texts)) != len(texts) or len(set(ids)) != len(ids):
            raise ChannelError("Button texts cannot be repeated", "Button IDs cannot be repeated.")
        if any(not text or not button_id for text, button_id in zip(texts, ids, strict=True)):
            raise ChannelError("Every reply button needs displayText and id")
        title = req.title or "Select"
        interactive: dict[str, Any] = {
            "type": "button",
            "body": {"text": title},
            "action": {
                "buttons": [{"type": "reply", "reply": {"title": b.displayText, "id": b.id}} for b in req.buttons]
            },
        }
        if req.footer:
            interactive["footer"] = {"text": req.footer}
        text = f"{title}\n" + "".join(f"▶️ {b.displayText}\n" for b in req.buttons)
        return await self.sender.send(
            req.number, "interactive", interactive, {"conversation": text}, quoted=req.quoted, delay=req.delay
        )

    async def send_list(self, req: SendList) -> Record:
        titles = [section.title for section in req.sections]
        if len(set(titles)) != len(titles):
            raise ChannelError("Section tiles cannot be repeated")
        if not req.sections:
            raise ChannelError("At least one section is required")
        interactive = {
            "type": "list",
            "header": {"type": "text", "text": req.title},
            "body": {"text": req.description or req.title},
            "footer": {"text": req.footerText},
            "action": {
                "button": req.buttonText,
                "sections": [
                    {
                        "title": section.title,
                        "rows": [
                            {
                                "id": row.rowId,
                                "title": row.title,
                                **(
                                    {"description": row.description[:LIST_DESCRIPTION_CHARS]} if row.description else {}
                                ),
                            }
                            for row in section.rows
                        ],
                    }
                    for section in req.sections
                ],
            },
        }
        text = f"{req.title}\n" + "".join(
            f"{section.title}\n" + "".join(f"{row.title}\n" for row in section.rows) for section in req.sections
        )
        return await self.sender.send(
            req.number, "interactive", interactive, {"conversation": text}, quoted=req.quoted, delay=req.delay
        )

    async def send_template(self, req: SendTemplate) -> Record:
        if not req.number:
            raise ChannelError("number is required")
        body: dict[str, Any] = {"name": req.name, "language": {"code": req.language or self.default_language}}
        if req.components:
            body["components"] = req.components
        return await self.sender.send(
            req.number, "template", body, {"conversation": f"▶️{req.name}◀️"}, webhook_url=req.webhookUrl
        )
