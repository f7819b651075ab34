"""Outbound media on neonize: sendMedia, sendPtv, sendWhatsAppAudio, sendSticker and sendStatus.
Each request's one media body is read once (file, URL or base64), converted where WhatsApp needs it,
uploaded through whatsmeow, and sent through the common path of `send.Sender`."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from evolution_py.channels.base import ChannelError
from evolution_py.channels.whatsmeow import media as media_io
from evolution_py.channels.whatsmeow.send import Sender, e2e
from evolution_py.dto.message import SendAudio, SendMedia, SendPtv, SendStatus, SendSticker, UploadedFile

_OWNED_MEDIA = "Owned media must be a url or base64"


class MediaSender(Sender):
    async def _upload(self, data: bytes, kind: str) -> Any:
        from neonize.utils.enum import MediaType

        media_type = {
            "image": MediaType.MediaImage,
            "video": MediaType.MediaVideo,
            "ptv": MediaType.MediaVideo,
            "audio": MediaType.MediaAudio,
            "document": MediaType.MediaDocument,
            "sticker": MediaType.MediaImage,
        }[kind]
        try:
            return await self._call(self.client.upload(data, media_type), 120)
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError(f"Error: {exc}") from None

    async def _media_message(
        self, kind: str, loaded: media_io.Media, *, caption: str | None, filename: str | None, mimetype: str | None
    ) -> Any:
        pb = e2e()
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
            mime = media_io.sniff_mimetype(loaded.data, filename, "image/jpeg")
            image = pb.ImageMessage(mimetype=mime, **common)
            if caption:
                image.caption = caption
            info = await asyncio.to_thread(media_io.image_info, loaded.data)
            if info is not None:
                image.width, image.height, image.JPEGThumbnail = info
            return pb.Message(imageMessage=image)
        if kind in ("video", "ptv"):
            video = pb.VideoMessage(mimetype=media_io.sniff_mimetype(loaded.data, filename, "video/mp4"), **common)
            if caption:
                video.caption = caption
            seconds, thumbnail = await media_io.video_info(loaded.data)
            if seconds:
                video.seconds = seconds
            if thumbnail:
                video.JPEGThumbnail = thumbnail
            return pb.Message(ptvMessage=video) if kind == "ptv" else pb.Message(videoMessage=video)
        if kind == "audio":
            audio = pb.AudioMessage(mimetype=mimetype or media_io.sniff_mimetype(loaded.data, filename, "audio/mpeg"))
            for field, value in common.items():
                setattr(audio, field, value)
            return pb.Message(audioMessage=audio)
        name = filename or loaded.filename or "file"
        document = pb.DocumentMessage(
            mimetype=mimetype or media_io.sniff_mimetype(loaded.data, name), fileName=name, title=name, **common
        )
        if caption:
            document.caption = caption
        return pb.Message(documentMessage=document)

    async def send_media(self, req: SendMedia, file: UploadedFile | None = None) -> dict[str, Any]:
        self.require_open()
        if file is None and req.mediatype == "document" and req.media and not media_io.is_url(req.media):
            if not req.fileName:
                raise ChannelError("For base64 the file name must be informed.")
        loaded = await media_io.load(req.media, file, error=_OWNED_MEDIA)
        jid = await self.check_number(req.number)
        filename = req.fileName or (file.filename if file else None) or loaded.filename
        message = await self._media_message(
            req.mediatype, loaded, caption=req.caption, filename=filename, mimetype=req.mimetype
        )
        return await self._send(jid, message, req, media_bytes=loaded.data, checked_jid=jid)

    async def send_ptv(self, req: SendPtv, file: UploadedFile | None = None) -> dict[str, Any]:
        self.require_open()
        loaded = await media_io.load(req.video, file, error=_OWNED_MEDIA)
        jid = await self.check_number(req.number)
        message = await self._media_message("ptv", loaded, caption=None, filename=loaded.filename, mimetype=None)
        return await self._send(jid, message, req, media_bytes=loaded.data, checked_jid=jid)

    async def send_whatsapp_audio(self, req: SendAudio, file: UploadedFile | None = None) -> dict[str, Any]:
        self.require_open()
        loaded = await media_io.load(
            req.audio, file, error="Owned media must be a url, base64, or valid file with buffer"
        )
        jid = await self.check_number(req.number)
        seconds = 0
        data = loaded.data
        if req.encoding is not False:
            data, seconds = await media_io.to_voice_note(loaded.data)
        converted = media_io.Media(data, "audio.ogg", "audio/ogg; codecs=opus")
        message = await self._media_message(
            "audio", converted, caption=None, filename="audio.ogg", mimetype="audio/ogg; codecs=opus"
        )
        message.audioMessage.PTT = True
        if seconds:
            message.audioMessage.seconds = seconds
        return await self._send(jid, message, req, presence="recording", media_bytes=data, checked_jid=jid)

    async def send_sticker(self, req: SendSticker, file: UploadedFile | None = None) -> dict[str, Any]:
        self.require_open()
        loaded = await media_io.load(req.sticker, file, error=_OWNED_MEDIA)
        jid = await self.check_number(req.number)
        animated = False
        data = loaded.data
        if not req.notConvertSticker:
            data, animated = await asyncio.to_thread(media_io.to_webp, loaded.data)
        upload = await self._upload(data, "sticker")
        pb = e2e()
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
        return await self._send(jid, pb.Message(stickerMessage=sticker), req, media_bytes=data, checked_jid=jid)

    async def send_status(self, req: SendStatus, file: UploadedFile | None = None) -> dict[str, Any]:
        self.require_open()
        if not req.content and file is None:
            raise ChannelError("Content is required")
        if not req.allContacts and not req.statusJidList:
            raise ChannelError("StatusJidList is required")
        target = "status@broadcast"
        pb = e2e()
        if req.type == "text":
            if not req.backgroundColor:
                raise ChannelError("Background color is required")
            if not req.font:
                raise ChannelError("Font is required")
            text = pb.ExtendedTextMessage(
                text=req.content or "", backgroundArgb=_argb(req.backgroundColor), font=int(req.font)
            )
            return await self._send(target, pb.Message(extendedTextMessage=text), None, checked_jid=target)
        loaded = await media_io.load(req.content, file, error=_OWNED_MEDIA)
        data = loaded.data
        if req.type == "audio":
            data, _seconds = await media_io.to_voice_note(loaded.data)
            loaded = media_io.Media(data, "audio.ogg", "audio/ogg; codecs=opus")
        message = await self._media_message(
            req.type, loaded, caption=req.caption, filename=loaded.filename, mimetype=loaded.mimetype
        )
        if req.type == "audio":
            message.audioMessage.PTT = True
        return await self._send(target, message, None, media_bytes=data, checked_jid=target)


def _argb(color: str) -> int:
    value = color.lstrip("#")
    if len(value) == 6:
        value = "FF" + value
    try:
        number = int(value, 16)
    except ValueError:
        raise ChannelError("Background color must be a #RRGGBB colour") from None
    return number  # a fixed32 in waE2E: unsigned ARGB
