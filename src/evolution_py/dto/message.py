"""Request bodies of the `/message/*` routes (Evolution API v2), shared by every channel."""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

import msgspec


class MessageKey(msgspec.Struct, kw_only=True):
    id: str
    remoteJid: str | None = None
    fromMe: bool | None = None
    participant: str | None = None


class Quoted(msgspec.Struct, kw_only=True):
    key: MessageKey
    message: dict[str, Any] | None = None


class SendOptions(msgspec.Struct, kw_only=True):
    """Fields common to every send route except reaction and status."""

    delay: int | None = None
    quoted: Quoted | None = None
    linkPreview: bool | None = None
    mentionsEveryOne: bool | None = None
    mentioned: list[str] | None = None
    everyOne: bool | None = None


class SendText(SendOptions, kw_only=True):
    number: str
    text: str


class SendMedia(SendOptions, kw_only=True):
    number: str
    mediatype: Literal["image", "document", "video", "audio"]
    media: str | None = None
    mimetype: str | None = None
    caption: str | None = None
    fileName: str | None = None


class SendPtv(SendOptions, kw_only=True):
    number: str
    video: str | None = None


class SendAudio(SendOptions, kw_only=True):
    number: str
    audio: str | None = None
    encoding: bool | None = None


class SendSticker(SendOptions, kw_only=True):
    number: str
    sticker: str | None = None
    notConvertSticker: bool | None = None


class SendLocation(SendOptions, kw_only=True):
    number: str
    latitude: float
    longitude: float
    name: str
    address: str


class ContactCard(msgspec.Struct, kw_only=True):
    fullName: str
    phoneNumber: str
    wuid: str | None = None
    organization: str | None = None
    email: str | None = None
    url: str | None = None


class SendContact(SendOptions, kw_only=True):
    number: str
    contact: list[ContactCard]


class SendReaction(msgspec.Struct, kw_only=True):
    key: MessageKey
    reaction: str


class SendPoll(SendOptions, kw_only=True):
    number: str
    name: str
    selectableCount: int
    values: list[str]


class ListRow(msgspec.Struct, kw_only=True):
    title: str
    rowId: str
    description: str | None = None


class ListSection(msgspec.Struct, kw_only=True):
    title: str
    rows: list[ListRow]


class SendList(SendOptions, kw_only=True):
    number: str
    title: str
    footerText: str
    buttonText: str
    sections: list[ListSection]
    description: str | None = None


class Button(msgspec.Struct, kw_only=True):
    type: Literal["reply", "copy", "url", "call", "pix"]
    displayText: str | None = None
    id: str | None = None
    url: str | None = None
    copyCode: str | None = None
    phoneNumber: str | None = None
    currency: str | None = None
    name: str | None = None
    keyType: Literal["phone", "email", "cpf", "cnpj", "random"] | None = None
    key: str | None = None


class SendButtons(SendOptions, kw_only=True):
    number: str
    buttons: list[Button]
    title: str | None = None
    description: str | None = None
    footer: str | None = None
    thumbnailUrl: str | None = None


class SendStatus(msgspec.Struct, kw_only=True):
    type: Literal["text", "image", "audio", "video"]
    content: str | None = None
    caption: str | None = None
    backgroundColor: str | None = None
    font: int | None = None
    statusJidList: list[str] | None = None
    allContacts: bool | None = None


class SendTemplate(msgspec.Struct, kw_only=True):
    name: str
    language: str
    number: str | None = None
    components: list[Any] | None = None
    webhookUrl: str | None = None


class UploadedFile(msgspec.Struct, kw_only=True):
    """A multipart `file` field, read into memory (one per request)."""

    filename: str
    content_type: str
    data: bytes


def validate_buttons(buttons: list[Button]) -> None:
    """Upstream's button rules; raises ValueError with upstream's texts."""
    if not buttons:
        raise ValueError("At least one button is required")
    kinds = [button.type for button in buttons]
    if "reply" in kinds:
        if kinds.count("reply") > 3:
            raise ValueError("Maximum of 3 reply buttons allowed")
        if any(kind != "reply" for kind in kinds):
            raise ValueError("Reply buttons cannot be mixed with other button types")
    if "pix" in kinds:
        if kinds.count("pix") > 1:
            raise ValueError("Only one PIX button is allowed")
        if len(kinds) > 1:
            raise ValueError("PIX button cannot be mixed with other button types")


def is_reaction(text: str) -> bool:
    """upstream's isEmoji: empty, or one emoji grapheme (modifiers, ZWJ sequences and variation selectors allowed)."""
    if text == "":
        return True
    base = [ch for ch in text if unicodedata.category(ch) not in ("Mn", "Cf", "Sk") and ch not in "\u200d\ufe0f"]
    if not base:
        return False
    if any(unicodedata.category(ch) != "So" and not 0x1F1E6 <= ord(ch) <= 0x1F1FF for ch in base):
        return False
    flags = [ch for ch in base if 0x1F1E6 <= ord(ch) <= 0x1F1FF]
    if flags:
        return len(base) == 2 and len(flags) == 2
    return len(base) == 1 or "\u200d" in text
