"""Meta's documented WhatsApp Cloud API webhook payloads ("Webhooks > Components" and the examples of
the messages webhook reference), with the ids as parameters, to replay against `POST /webhook/meta`."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

WABA_ID = "102290129340398"
CUSTOMER = "16315551181"


def delivery(phone_number_id: str, value: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": field}]}],
    }


def messages_value(phone_number_id: str, message: dict[str, Any], name: str = "Kerry Fisher") -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": message.get("from", CUSTOMER)}],
        "messages": [message],
    }


def message(kind: str, message_id: str, body: Any, **extra: Any) -> dict[str, Any]:
    return {"from": CUSTOMER, "id": message_id, "timestamp": "1603059201", "type": kind, kind: body, **extra}


def text(message_id: str, body: str = "Hello this is an answer") -> dict[str, Any]:
    return message("text", message_id, {"body": body})


def image(message_id: str, media_id: str) -> dict[str, Any]:
    return message(
        "image", message_id, {"caption": "CAPTION", "mime_type": "image/jpeg", "sha256": "IMAGE_HASH", "id": media_id}
    )


def voice(message_id: str, media_id: str) -> dict[str, Any]:
    return message(
        "audio", message_id, {"mime_type": "audio/ogg; codecs=opus", "sha256": "HASH", "id": media_id, "voice": True}
    )


def document(message_id: str, media_id: str) -> dict[str, Any]:
    body = {"caption": "Q3", "filename": "report.pdf", "mime_type": "application/pdf", "sha256": "H", "id": media_id}
    return message("document", message_id, body)


def sticker(message_id: str, media_id: str) -> dict[str, Any]:
    body = {"mime_type": "image/webp", "sha256": "HASH", "id": media_id, "animated": False}
    return message("sticker", message_id, body)


def location(message_id: str) -> dict[str, Any]:
    body = {"latitude": 37.483872, "longitude": -122.148358, "name": "Main Office", "address": "1 Hacker Way"}
    return message("location", message_id, body)


def contacts(message_id: str) -> dict[str, Any]:
    card = {
        "emails": [{"email": "ana@example.com", "type": "WORK"}],
        "name": {"formatted_name": "Ana Souza", "first_name": "Ana", "last_name": "Souza"},
        "org": {"company": "ACME"},
        "phones": [{"phone": "+1 (940) 555-1234", "wa_id": "19405551234", "type": "HOME"}],
        "urls": [{"url": "https://example.com", "type": "WORK"}],
    }
    return message("contacts", message_id, [card])


def button_reply(message_id: str, replied_to: str) -> dict[str, Any]:
    body = {"type": "button_reply", "button_reply": {"id": "unique-button-identifier-here", "title": "Yes"}}
    return message("interactive", message_id, body, context={"from": "15550783881", "id": replied_to})


def list_reply(message_id: str) -> dict[str, Any]:
    body = {"type": "list_reply", "list_reply": {"id": "row-1", "title": "Blue", "description": "the blue one"}}
    return message("interactive", message_id, body)


def template_button(message_id: str) -> dict[str, Any]:
    return message("button", message_id, {"text": "No", "payload": "No-Button-Payload"})


def reaction(message_id: str, reacted_to: str) -> dict[str, Any]:
    return message("reaction", message_id, {"message_id": reacted_to, "emoji": "\U0001f600"})


def unsupported(message_id: str) -> dict[str, Any]:
    errors = [{"code": 131051, "details": "Message type is not currently supported", "title": "Unsupported message"}]
    return {"from": CUSTOMER, "id": message_id, "timestamp": "1603059201", "type": "unsupported", "errors": errors}


def status(phone_number_id: str, message_id: str, state: str, recipient: str = CUSTOMER) -> dict[str, Any]:
    item: dict[str, Any] = {"id": message_id, "status": state, "timestamp": "1603086313", "recipient_id": recipient}
    if state == "failed":
        item["errors"] = [
            {
                "code": 131047,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {
                    "details": "Message failed to send because more than 24 hours have passed since the customer "
                    "last replied to this number."
                },
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]
    else:
        item["conversation"] = {"id": "CONVERSATION_ID", "origin": {"type": "user_initiated"}}
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "user_initiated"}
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        "statuses": [item],
    }


def template_status(template_id: str, event: str = "APPROVED") -> dict[str, Any]:
    value = {
        "event": event,
        "message_template_id": int(template_id),
        "message_template_name": "order_update",
        "message_template_language": "en_US",
        "reason": None,
    }
    return delivery("", value, field="message_template_status_update")


def signed(body: dict[str, Any], app_secret: str) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    signature = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"content-type": "application/json", "x-hub-signature-256": f"sha256={signature}"}
