"""What of a WhatsApp message record goes to Chatwoot: its text (markdown converted) and its media."""

from __future__ import annotations

import base64
import binascii
import mimetypes
from dataclasses import dataclass
from typing import Any

from evolution_py.integrations.chatwoot.markdown import to_chatwoot

_MEDIA_KINDS = {
    "imageMessage": ("image", "image/jpeg"),
    "videoMessage": ("video", "video/mp4"),
    "audioMessage": ("audio", "audio/ogg"),
    "documentMessage": ("document", "application/octet-stream"),
    "documentWithCaptionMessage": ("document", "application/octet-stream"),
    "stickerMessage": ("image", "image/webp"),
    "ptvMessage": ("video", "video/mp4"),
}
_WRAPPERS = ("ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2", "documentWithCaptionMessage")


@dataclass(frozen=True)
class Media:
    kind: str
    mimetype: str
    filename: str
    base64: str | None
    url: str | None


def unwrap(message: dict[str, Any]) -> dict[str, Any]:
    for wrapper in _WRAPPERS:
        inner = message.get(wrapper)
        if isinstance(inner, dict) and isinstance(inner.get("message"), dict):
            merged = dict(inner["message"])
            for key in ("base64", "mediaUrl"):
                if key in message:
                    merged.setdefault(key, message[key])
            return merged
    return message


def text_of(message: dict[str, Any]) -> str | None:
    message = unwrap(message)
    if isinstance(message.get("conversation"), str):
        return str(message["conversation"])
    extended = message.get("extendedTextMessage")
    if isinstance(extended, dict) and isinstance(extended.get("text"), str):
        return str(extended["text"])
    for kind in _MEDIA_KINDS:
        inner = message.get(kind)
        if isinstance(inner, dict) and isinstance(inner.get("caption"), str):
            return str(inner["caption"])
    if isinstance(message.get("caption"), str):  # the EVOLUTION channel's flat media body
        return str(message["caption"])
    location = message.get("locationMessage")
    if isinstance(location, dict):
        lat, lng = location.get("degreesLatitude"), location.get("degreesLongitude")
        return f"*Location:*\n\n_Latitude:_ {lat}\n_Longitude:_ {lng}\n_URL:_ https://www.google.com/maps/search/?api=1&query={lat},{lng}"
    contact = message.get("contactMessage")
    if isinstance(contact, dict):
        return f"*Contact:*\n\n_Name:_ {contact.get('displayName') or ''}"
    for kind in ("buttonsResponseMessage", "listResponseMessage", "templateButtonReplyMessage"):
        inner = message.get(kind)
        if isinstance(inner, dict):
            for field in ("selectedDisplayText", "title", "selectedId"):
                if isinstance(inner.get(field), str):
                    return str(inner[field])
    return None


def chatwoot_text(message: dict[str, Any]) -> str | None:
    text = text_of(message)
    return None if text is None else to_chatwoot(text)


def media_of(message: dict[str, Any], message_type: str | None) -> Media | None:
    message = unwrap(message)
    kind_key = next((key for key in _MEDIA_KINDS if isinstance(message.get(key), dict)), None)
    if kind_key is None and message_type in _MEDIA_KINDS and ("base64" in message or "mediaUrl" in message):
        kind_key = message_type
    if kind_key is None:
        return None
    kind, default_mime = _MEDIA_KINDS[kind_key]
    inner = message.get(kind_key) if isinstance(message.get(kind_key), dict) else message
    assert isinstance(inner, dict)
    mimetype = str(inner.get("mimetype") or message.get("mimetype") or default_mime).split(";")[0]
    extension = mimetypes.guess_extension(mimetype) or ""
    filename = str(inner.get("fileName") or message.get("fileName") or f"{kind}{extension}")
    data = message.get("base64") if isinstance(message.get("base64"), str) else None
    url = message.get("mediaUrl") if isinstance(message.get("mediaUrl"), str) else None
    if data is None and url is None:
        return None
    return Media(kind=kind, mimetype=mimetype, filename=filename, base64=data, url=url)


def decode_base64(data: str) -> bytes | None:
    if data.startswith("data:") and "," in data:
        data = data.split(",", 1)[1]
    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return None


def quoted_id(message: dict[str, Any]) -> str | None:
    """The WhatsApp id of the message this one answers (contextInfo.stanzaId), if any."""
    message = unwrap(message)
    for value in message.values():
        if isinstance(value, dict):
            info = value.get("contextInfo")
            if isinstance(info, dict) and isinstance(info.get("stanzaId"), str):
                return str(info["stanzaId"])
    info = message.get("contextInfo")
    if isinstance(info, dict) and isinstance(info.get("stanzaId"), str):
        return str(info["stanzaId"])
    return None
