"""A bot's answer as WhatsApp messages, and sending them through MessagingService.

Replies are plain dicts (stored in `ChatbotTurn.replies` before they are sent, so a restart resumes
where it stopped):
- `{"type": "text", "text", "linkPreview"?}`
- `{"type": "media", "mediatype": image|video|document, "media": url, "caption"?, "fileName"?}`
- `{"type": "audio", "audio": url}`
- `{"type": "list", "title", "description", "buttonText", "footerText", "sections"}`
- `{"type": "buttons", "title", "description", "footer", "thumbnailUrl"?, "buttons"}`
- `{"type": "wait", "seconds"}` (a Typebot wait block between bubbles)
Markdown links to a media file become media messages, as upstream's sendMessageWhatsApp does.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import msgspec

from evolution_py.core.messaging import MessagingService
from evolution_py.dto.message import SendAudio, SendButtons, SendList, SendMedia, SendText

_LINK = re.compile(r"!?\[(.*?)\]\((.*?)\)")
_EXTENSIONS = {
    "image": ("jpg", "jpeg", "png", "gif", "bmp", "webp"),
    "audio": ("mp3", "wav", "aac", "ogg"),
    "video": ("mp4", "avi", "mkv", "mov"),
    "document": ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt"),
}
MAX_TYPING_MS = 20000
MAX_WAIT_SECONDS = 60.0  # a bot's wait block holds its conversation at most this long


def media_type(url: str) -> str | None:
    extension = url.rsplit(".", 1)[-1].lower() if "." in url else ""
    for kind, extensions in _EXTENSIONS.items():
        if extension in extensions:
            return kind
    return None


def text_replies(message: str, settings: dict[str, Any], link_preview: bool = True) -> list[dict[str, Any]]:
    """A bot's text: links to media files sent as media, the rest as text (split on blank lines
    with `splitMessages`)."""
    replies: list[dict[str, Any]] = []
    buffer = ""

    def flush() -> None:
        nonlocal buffer
        text = buffer.strip()
        buffer = ""
        if not text:
            return
        parts = [p for p in text.split("\n\n") if p.strip()] if settings.get("splitMessages") else [text]
        replies.extend({"type": "text", "text": part, "linkPreview": link_preview} for part in parts)

    last = 0
    for match in _LINK.finditer(message):
        buffer += message[last : match.start()]
        alt, url = match.group(1), match.group(2)
        kind = media_type(url)
        if kind is None:
            buffer += match.group(0)
        else:
            flush()
            if kind == "audio":
                replies.append({"type": "audio", "audio": url})
            else:
                reply: dict[str, Any] = {"type": "media", "mediatype": kind, "media": url, "caption": alt}
                if kind == "document":
                    reply["fileName"] = alt or "document"
                replies.append(reply)
        last = match.end()
    buffer += message[last:]
    flush()
    return replies


def _delay(settings: dict[str, Any]) -> int:
    value = settings.get("delayMessage")
    return 1000 if value is None else max(0, int(value))


async def send_reply(
    messaging: MessagingService, instance_name: str, remote_jid: str, reply: dict[str, Any], settings: dict[str, Any]
) -> None:
    delay = _delay(settings)
    kind = reply.get("type")
    if kind == "text":
        text = str(reply.get("text", ""))
        per_char = int(settings.get("timePerChar") or 0)
        if per_char > 0:  # upstream's typing time: length x timePerChar, 1 s to 20 s
            await asyncio.sleep(min(max(len(text) * per_char, 1000), MAX_TYPING_MS) / 1000)
        await messaging.send_text(
            instance_name,
            SendText(number=remote_jid, text=text, delay=delay, linkPreview=reply.get("linkPreview", True)),
        )
    elif kind == "media":
        await messaging.send_media(
            instance_name,
            SendMedia(
                number=remote_jid,
                mediatype=reply["mediatype"],
                media=reply["media"],
                caption=reply.get("caption") or None,
                fileName=reply.get("fileName"),
                delay=delay,
            ),
        )
    elif kind == "audio":
        await messaging.send(
            instance_name,
            lambda channel: channel.media.send_whatsapp_audio(
                SendAudio(number=remote_jid, audio=reply["audio"], delay=delay)
            ),
        )
    elif kind == "list":
        body = {k: v for k, v in reply.items() if k != "type"}
        listing = msgspec.convert({"number": remote_jid, "delay": delay, **body}, SendList)
        await messaging.send(instance_name, lambda channel: channel.messaging.send_list(listing))
    elif kind == "buttons":
        body = {k: v for k, v in reply.items() if k != "type"}
        buttons = msgspec.convert({"number": remote_jid, "delay": delay, **body}, SendButtons)
        await messaging.send(instance_name, lambda channel: channel.messaging.send_buttons(buttons))
    elif kind == "wait":
        await asyncio.sleep(min(float(reply.get("seconds") or 0), MAX_WAIT_SECONDS))
