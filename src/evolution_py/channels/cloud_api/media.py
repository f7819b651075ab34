"""`Media` on the Cloud API: image, video, document, audio and sticker sends, by link (Meta fetches
it) or by upload (multipart to `/{phone-number-id}/media`, then sent by media id); and media of a
stored message as base64 (`/chat/getBase64FromMediaMessage`). PTV and status posts do not exist on
Meta's API: "not available"."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp

from evolution_py.channels.capabilities import ChannelError, Media, Record
from evolution_py.channels.cloud_api.graph import Graph
from evolution_py.channels.cloud_api.sender import Sender
from evolution_py.dto.chat import GetBase64
from evolution_py.dto.message import SendAudio, SendMedia, SendOptions, SendSticker, UploadedFile
from evolution_py.store.messages import MessageStore

_URL = re.compile(r"^https?://", re.IGNORECASE)
_GRAPH_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_DEFAULT_MIME = {
    "image": "image/png",
    "video": "video/mp4",
    "audio": "audio/mpeg",
    "document": "application/octet-stream",
    "sticker": "image/webp",
}
_DEFAULT_NAME = {"image": "image.png", "video": "video.mp4", "audio": "audio.mp3", "sticker": "sticker.webp"}
_RECORD_KEYS = {
    "image": "imageMessage",
    "video": "videoMessage",
    "audio": "audioMessage",
    "document": "documentMessage",
    "sticker": "stickerMessage",
}


@dataclass(frozen=True)
class Prepared:
    """A media ready to send: Meta's reference (`{"link": url}` or `{"id": media_id}`) and what the
    record shows of it."""

    ref: dict[str, str]
    file_name: str | None
    mimetype: str


def _decode(value: str) -> bytes | None:
    try:
        data = base64.b64decode(value.split(",", 1)[-1] if value.startswith("data:") else value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data or None


def _name_from_url(url: str) -> str | None:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name or None


class MediaFeature(Media):
    def __init__(self, graph: Graph, sender: Sender, store: MessageStore, label: str) -> None:
        self.graph = graph
        self.sender = sender
        self.store = store
        self.label = label

    async def upload(self, data: bytes, file_name: str, mimetype: str) -> str:
        """Upload a file to Meta; its media id."""

        def form() -> aiohttp.FormData:
            built = aiohttp.FormData()
            built.add_field("messaging_product", "whatsapp")
            built.add_field("type", mimetype)
            built.add_field("file", data, filename=file_name, content_type=mimetype)
            return built

        # an upload of up to 100 MB takes longer than a message: the limit grows with the size
        limit = self.graph.config.time_limit + len(data) / 1_000_000
        answer = await self.graph.call("POST", f"{self.sender.phone_number_id}/media", form=form, time_limit=limit)
        media_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(media_id, str) or not media_id:
            raise ChannelError("WhatsApp Business API answered the upload without a media id")
        return media_id

    async def prepare(
        self, kind: str, media: str | None, file: UploadedFile | None, file_name: str | None, mimetype: str | None
    ) -> Prepared:
        if file is not None:
            name = file_name or file.filename or _DEFAULT_NAME.get(kind, "file")
            mime = mimetype or file.content_type or _DEFAULT_MIME[kind]
            return Prepared({"id": await self.upload(file.data, name, mime)}, name, mime)
        if not media:
            raise ChannelError("Owned media must be a url, base64, or valid file with buffer")
        if _URL.match(media):
            link_name = file_name or _name_from_url(media)
            mime = mimetype or mimetypes.guess_type(urlsplit(media).path)[0] or _DEFAULT_MIME[kind]
            return Prepared({"link": media}, link_name, mime)
        data = _decode(media)
        if data is None:
            raise ChannelError("Owned media must be a url or base64")
        if kind == "document" and not file_name:
            raise ChannelError("For base64 the file name must be informed.")
        name = file_name or _DEFAULT_NAME[kind]
        mime = mimetype or mimetypes.guess_type(name)[0] or _DEFAULT_MIME[kind]
        return Prepared({"id": await self.upload(data, name, mime)}, name, mime)

    async def _send(
        self, number: str, kind: str, prepared: Prepared, caption: str | None, options: SendOptions
    ) -> Record:
        body: dict[str, Any] = dict(prepared.ref)
        if caption and kind in ("image", "video", "document"):
            body["caption"] = caption
        if kind == "document" and prepared.file_name:
            body["filename"] = prepared.file_name
        shown: dict[str, Any] = {"mediaType": kind, "mimetype": prepared.mimetype}
        if prepared.file_name:
            shown["fileName"] = prepared.file_name
        if caption and kind != "audio":
            shown["caption"] = caption
        if "link" in prepared.ref:
            shown["url"] = prepared.ref["link"]
        else:
            shown["id"] = prepared.ref["id"]
        return await self.sender.send(
            number, kind, body, {_RECORD_KEYS[kind]: shown}, quoted=options.quoted, delay=options.delay
        )

    async def send_media(self, req: SendMedia, file: UploadedFile | None = None) -> Record:
        prepared = await self.prepare(req.mediatype, req.media, file, req.fileName, req.mimetype)
        return await self._send(req.number, req.mediatype, prepared, req.caption, req)

    async def send_whatsapp_audio(self, req: SendAudio, file: UploadedFile | None = None) -> Record:
        prepared = await self.prepare("audio", req.audio, file, None, None)
        return await self._send(req.number, "audio", prepared, None, req)

    async def send_sticker(self, req: SendSticker, file: UploadedFile | None = None) -> Record:
        prepared = await self.prepare("sticker", req.sticker, file, None, "image/webp")
        return await self._send(req.number, "sticker", prepared, None, req)

    async def get_base64_from_media_message(self, req: GetBase64) -> Record:
        """upstream answers from the stored record (inbound media is stored with its base64); a
        record without it is downloaded again from Meta by its media id."""
        key_id = str(req.message.key.get("id") or "")
        record: dict[str, Any] | None = (
            {"message": req.message.message, "messageType": None}
            if req.message.message
            else await self.store.find_message_by_key_id(key_id)
        )
        if not record or not isinstance(record.get("message"), dict):
            raise ChannelError("Message not found")
        message: dict[str, Any] = record["message"]
        kind = next((key for key in message if key.endswith("Message") and isinstance(message[key], dict)), None)
        if kind is None:
            raise ChannelError("The message has no media")
        media: dict[str, Any] = message[kind]
        encoded = message.get("base64")
        if not isinstance(encoded, str) or not encoded:
            media_id = media.get("id")
            if not isinstance(media_id, str) or not media_id:
                raise ChannelError("The message has no media")
            data, _mime = await self.download(media_id)
            encoded = base64.b64encode(data).decode()
        return {
            "mediaType": record.get("messageType") or kind,
            "fileName": media.get("filename") or media.get("fileName"),
            "caption": media.get("caption"),
            "size": {"fileLength": media.get("file_size"), "height": None, "width": None},
            "mimetype": media.get("mime_type") or media.get("mimetype"),
            "base64": encoded,
        }

    async def download(self, media_id: str) -> tuple[bytes, str | None]:
        """A media by its id: ask Meta for its (short-lived) URL, then fetch it with the token."""
        if not _GRAPH_ID.fullmatch(media_id):
            # The id becomes a Graph API path: nothing else of the Graph API is reached with the token.
            raise ChannelError("not a media id")
        info = await self.graph.call("GET", media_id)
        url = info.get("url") if isinstance(info, dict) else None
        if not isinstance(url, str) or not url:
            raise ChannelError("WhatsApp Business API gave no URL for the media")
        data, content_type = await self.graph.download(url)
        mime = info.get("mime_type") if isinstance(info.get("mime_type"), str) else content_type
        return data, mime
