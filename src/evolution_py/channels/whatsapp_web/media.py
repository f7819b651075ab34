"""Media on WhatsApp Web: sendMedia, sendPtv, sendWhatsAppAudio, sendSticker and sendStatus, and
reading a received media message back (getBase64FromMediaMessage).

Each request's one media body is loaded once (upload, URL through the instance's proxy, or base64),
converted where WhatsApp needs it, uploaded through whatsmeow, and sent through the one send path."""

from __future__ import annotations

import asyncio
import base64
import mimetypes
import time
from typing import Any

from evolution_py.channels.base import ChannelError, InstanceContext
from evolution_py.channels.capabilities import Media, Record
from evolution_py.channels.whatsapp_web import media_files
from evolution_py.channels.whatsapp_web.errors import CHANNEL_LABEL, error_text
from evolution_py.channels.whatsapp_web.media_loader import LoadedMedia, is_url, load_media, send_wording
from evolution_py.channels.whatsapp_web.proto_json import from_baileys_json
from evolution_py.channels.whatsapp_web.sender import Sender
from evolution_py.channels.whatsapp_web.session import Session, neonize
from evolution_py.dto.chat import GetBase64
from evolution_py.dto.message import SendAudio, SendMedia, SendPtv, SendStatus, SendSticker, UploadedFile

_OWNED_MEDIA = "Owned media must be a url or base64"
_OWNED_AUDIO = "Owned media must be a url, base64, or valid file with buffer"

# Media kinds upstream downloads, in its order (`TypeMediaMessage`), and wrappers it unwraps first.
MEDIA_TYPES = ("imageMessage", "documentMessage", "audioMessage", "videoMessage", "stickerMessage", "ptvMessage")
WRAPPERS = (
    "ephemeralMessage",
    "documentWithCaptionMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "viewOnceMessageV2Extension",
)
# send kind → neonize's `MediaType` member to upload it as (decides the media encryption keys)
UPLOAD_TYPES = {
    "image": "MediaImage",
    "video": "MediaVideo",
    "ptv": "MediaVideo",
    "audio": "MediaAudio",
    "document": "MediaDocument",
    "sticker": "MediaImage",
}


class MediaFeature(Media):
    label = CHANNEL_LABEL

    def __init__(self, session: Session, ctx: InstanceContext, sender: Sender) -> None:
        self.session = session
        self.ctx = ctx
        self.sender = sender

    async def _load(self, value: str | None, upload: UploadedFile | None, not_media: str) -> LoadedMedia:
        return await load_media(
            value, upload, wording=send_wording(not_media), client=self.ctx.outbound, proxy=self.ctx.proxy.url()
        )

    async def _upload(self, data: bytes, kind: str) -> Any:
        media_type = getattr(neonize().MediaType, UPLOAD_TYPES[kind])
        try:
            return await self.session.call(lambda client: client.upload(data, media_type), limit=120)
        except ChannelError:
            raise
        except Exception as exc:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
            raise ChannelError(f"Error: {exc}") from None

    async def _media_message(
        self, kind: str, loaded: LoadedMedia, *, caption: str | None, filename: str | None, mimetype: str | None
    ) -> Any:
        pb = neonize().e2e
        upload = await self._upload(loaded.data, kind)
        common = {
            "URL": upload.url,
            "directPath": upload.DirectPath,
            "mediaKey": upload.MediaKey,
            "fileEncSHA256": upload.FileEncSHA256,
            "fileSHA256": upload.FileSHA256,
            "fileLength": upload.FileLength,
            "mediaKeyTimestamp": int(time.time()),
        }
        if kind == "image":
            mime = media_files.sniff_mimetype(loaded.data, filename, "image/jpeg")
            image = pb.ImageMessage(mimetype=mime, **common)
            if caption:
                image.caption = caption
            info = await asyncio.to_thread(media_files.image_info, loaded.data)
            if info is not None:
                image.width, image.height, image.JPEGThumbnail = info
            return pb.Message(imageMessage=image)
        if kind in ("video", "ptv"):
            video = pb.VideoMessage(mimetype=media_files.sniff_mimetype(loaded.data, filename, "video/mp4"), **common)
            if caption:
                video.caption = caption
            seconds, thumbnail = await media_files.video_info(loaded.data)
            if seconds:
                video.seconds = seconds
            if thumbnail:
                video.JPEGThumbnail = thumbnail
            return pb.Message(ptvMessage=video) if kind == "ptv" else pb.Message(videoMessage=video)
        if kind == "audio":
            audio = pb.AudioMessage(
                mimetype=mimetype or media_files.sniff_mimetype(loaded.data, filename, "audio/mpeg")
            )
            for field, value in common.items():
                setattr(audio, field, value)
            return pb.Message(audioMessage=audio)
        name = filename or loaded.filename or "file"
        document = pb.DocumentMessage(
            mimetype=mimetype or media_files.sniff_mimetype(loaded.data, name), fileName=name, title=name, **common
        )
        if caption:
            document.caption = caption
        return pb.Message(documentMessage=document)

    async def send_media(self, req: SendMedia, file: UploadedFile | None = None) -> Record:
        self.session.require_open()
        if file is None and req.mediatype == "document" and req.media and not is_url(req.media):
            if not req.fileName:
                raise ChannelError("For base64 the file name must be informed.")
        loaded = await self._load(req.media, file, _OWNED_MEDIA)
        jid = await self.sender.check_number(req.number)
        filename = req.fileName or (file.filename if file else None) or loaded.filename
        message = await self._media_message(
            req.mediatype, loaded, caption=req.caption, filename=filename, mimetype=req.mimetype
        )
        return await self.sender.send(jid, message, req, media_bytes=loaded.data, checked_jid=jid)

    async def send_ptv(self, req: SendPtv, file: UploadedFile | None = None) -> Record:
        self.session.require_open()
        loaded = await self._load(req.video, file, _OWNED_MEDIA)
        jid = await self.sender.check_number(req.number)
        message = await self._media_message("ptv", loaded, caption=None, filename=loaded.filename, mimetype=None)
        return await self.sender.send(jid, message, req, media_bytes=loaded.data, checked_jid=jid)

    async def send_whatsapp_audio(self, req: SendAudio, file: UploadedFile | None = None) -> Record:
        self.session.require_open()
        loaded = await self._load(req.audio, file, _OWNED_AUDIO)
        jid = await self.sender.check_number(req.number)
        seconds = 0
        data = loaded.data
        if req.encoding is not False:
            data, seconds = await media_files.to_voice_note(loaded.data)
        converted = LoadedMedia(data, "audio.ogg", "audio/ogg; codecs=opus")
        message = await self._media_message(
            "audio", converted, caption=None, filename="audio.ogg", mimetype="audio/ogg; codecs=opus"
        )
        message.audioMessage.PTT = True
        if seconds:
            message.audioMessage.seconds = seconds
        return await self.sender.send(jid, message, req, presence="recording", media_bytes=data, checked_jid=jid)

    async def send_sticker(self, req: SendSticker, file: UploadedFile | None = None) -> Record:
        self.session.require_open()
        loaded = await self._load(req.sticker, file, _OWNED_MEDIA)
        jid = await self.sender.check_number(req.number)
        animated = False
        data = loaded.data
        if not req.notConvertSticker:
            data, animated = await asyncio.to_thread(media_files.to_webp, loaded.data)
        upload = await self._upload(data, "sticker")
        pb = neonize().e2e
        sticker = pb.StickerMessage(
            URL=upload.url,
            directPath=upload.DirectPath,
            mediaKey=upload.MediaKey,
            fileEncSHA256=upload.FileEncSHA256,
            fileSHA256=upload.FileSHA256,
            fileLength=upload.FileLength,
            mimetype="image/webp",
            width=512,
            height=512,
            isAnimated=animated,
            mediaKeyTimestamp=int(time.time()),
        )
        return await self.sender.send(jid, pb.Message(stickerMessage=sticker), req, media_bytes=data, checked_jid=jid)

    async def send_status(self, req: SendStatus, file: UploadedFile | None = None) -> Record:
        self.session.require_open()
        if not req.content and file is None:
            raise ChannelError("Content is required")
        if not req.allContacts and not req.statusJidList:
            raise ChannelError("StatusJidList is required")
        target = "status@broadcast"
        pb = neonize().e2e
        if req.type == "text":
            if not req.backgroundColor:
                raise ChannelError("Background color is required")
            if not req.font:
                raise ChannelError("Font is required")
            text = pb.ExtendedTextMessage(
                text=req.content or "", backgroundArgb=_argb(req.backgroundColor), font=int(req.font)
            )
            return await self.sender.send(target, pb.Message(extendedTextMessage=text), None, checked_jid=target)
        loaded = await self._load(req.content, file, _OWNED_MEDIA)
        data = loaded.data
        if req.type == "audio":
            data, _seconds = await media_files.to_voice_note(loaded.data)
            loaded = LoadedMedia(data, "audio.ogg", "audio/ogg; codecs=opus")
        message = await self._media_message(
            req.type, loaded, caption=req.caption, filename=loaded.filename, mimetype=loaded.mimetype
        )
        if req.type == "audio":
            message.audioMessage.PTT = True
        return await self.sender.send(target, message, None, media_bytes=data, checked_jid=target)

    async def get_base64_from_media_message(self, req: GetBase64) -> Record:
        self.session.require_open()
        ref = req.message
        key_id = str(ref.key.get("id") or "")
        record = {"message": ref.message} if ref.message else await self.ctx.store.find_message_by_key_id(key_id)
        if not record or not isinstance(record.get("message"), dict):
            raise ChannelError("Message not found")
        kind, media = media_part(unwrap(record["message"]))
        proto = from_baileys_json({kind: media}, neonize().e2e.Message())
        try:
            data = await self.session.call(lambda client: client.download_any(proto), limit=60)
        except ChannelError:
            raise
        except Exception as exc:  # noqa: BLE001 - any neonize/Go error becomes upstream's error answer
            raise ChannelError(error_text(exc)) from None
        if req.convertToMp4 and kind == "audioMessage":
            raise ChannelError("Failed to convert audio to MP4")
        return media_answer(kind, media, key_id, data)


def unwrap(message: dict[str, Any]) -> dict[str, Any]:
    for wrapper in WRAPPERS:
        inner = message.get(wrapper)
        if isinstance(inner, dict) and isinstance(inner.get("message"), dict):
            message = inner["message"]
    return message


def media_part(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if "messageContextInfo" in message and len(message) == 1:
        raise ChannelError("The message is messageContextInfo")
    for kind in MEDIA_TYPES:
        if isinstance(message.get(kind), dict):
            return kind, message[kind]
    raise ChannelError("The message is not of the media type")


def media_answer(kind: str, media: dict[str, Any], key_id: str, data: bytes) -> Record:
    """upstream's `getBase64FromMediaMessage` answer for downloaded bytes."""
    mimetype = media.get("mimetype")
    ext = (mimetypes.guess_extension(str(mimetype).split(";")[0].strip()) or "").lstrip(".") if mimetype else ""
    return {
        "mediaType": kind,
        "fileName": media.get("fileName") or f"{key_id}.{ext or 'bin'}",
        "caption": media.get("caption"),
        "size": {"fileLength": media.get("fileLength"), "height": media.get("height"), "width": media.get("width")},
        "mimetype": mimetype,
        "base64": base64.b64encode(data).decode(),
        "buffer": None,
    }


def _argb(color: str) -> int:
    value = color.lstrip("#")
    if len(value) == 6:
        value = "FF" + value
    try:
        number = int(value, 16)
    except ValueError:
        raise ChannelError("Background color must be a #RRGGBB colour") from None
    return number  # a fixed32 in waE2E: unsigned ARGB
