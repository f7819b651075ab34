"""Media for outbound messages: read the one body a request carries (file, URL or base64), and convert
it where WhatsApp needs another format (voice notes → OGG/Opus with ffmpeg, stickers → WebP)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import mimetypes
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from evolution_py.channels.base import ChannelError
from evolution_py.dto.message import UploadedFile

URL = re.compile(r"^https?://", re.IGNORECASE)
MAX_MEDIA_BYTES = 100 * 1024 * 1024


@dataclass
class Media:
    data: bytes
    filename: str | None
    mimetype: str | None
    from_url: bool = False


def is_url(value: str | None) -> bool:
    return bool(value and URL.match(value))


def decode_base64(value: str) -> bytes | None:
    try:
        data = base64.b64decode(re.sub(r"\s+", "", value), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data or None


async def load(value: str | None, upload: UploadedFile | None, *, error: str) -> Media:
    """The media of one request; exactly one body is held in memory."""
    if upload is not None:
        return Media(upload.data, upload.filename, upload.content_type)
    if not value:
        raise ChannelError(error)
    if is_url(value):
        return await fetch(value)
    data = decode_base64(value)
    if data is None:
        raise ChannelError(error)
    return Media(data, None, None)


async def fetch(url: str) -> Media:
    import httpx  # on use: channels that never send media do not load it

    try:
        async with httpx.AsyncClient(timeout=60, follow_redirects=True) as client:
            async with client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise ChannelError(f"Error: media download failed with HTTP {response.status_code}")
                chunks = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_MEDIA_BYTES:
                        raise ChannelError(f"Error: media is larger than {MAX_MEDIA_BYTES} bytes")
                    chunks.append(chunk)
                content_type = response.headers.get("content-type", "").split(";")[0].strip() or None
    except httpx.HTTPError as exc:
        raise ChannelError(f"Error: media download failed: {exc}") from None
    name = Path(urlparse(url).path).name or None
    return Media(b"".join(chunks), name, content_type, from_url=True)


def sniff_mimetype(data: bytes, filename: str | None = None, fallback: str = "application/octet-stream") -> str:
    try:
        import magic

        found = str(magic.from_buffer(data[:4096], mime=True))
        if found and found != "application/octet-stream":
            return found
    except Exception:
        pass
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    return fallback


def image_info(data: bytes) -> tuple[int, int, bytes] | None:
    """(width, height, JPEG thumbnail) of an image, or None if Pillow cannot read it."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
            thumb = picture.convert("RGB")
            thumb.thumbnail((72, 72))
            out = io.BytesIO()
            thumb.save(out, "JPEG", quality=60)
            return width, height, out.getvalue()
    except Exception:
        return None


def to_webp(data: bytes) -> tuple[bytes, bool]:
    """A sticker: fit into 512×512 on a transparent canvas, WebP; animated input (GIF, animated WebP)
    stays animated. Returns (webp bytes, animated)."""
    from PIL import Image, ImageSequence

    def fit(frame: Image.Image) -> Image.Image:
        picture = frame.convert("RGBA")
        picture.thumbnail((512, 512))
        canvas = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
        canvas.paste(picture, ((512 - picture.width) // 2, (512 - picture.height) // 2))
        return canvas

    try:
        with Image.open(io.BytesIO(data)) as source:
            out = io.BytesIO()
            if getattr(source, "is_animated", False):
                frames = [fit(frame) for frame in ImageSequence.Iterator(source)]
                durations = source.info.get("duration", 100)
                frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=durations, loop=0)
                return out.getvalue(), True
            fit(source).save(out, "WEBP")
            return out.getvalue(), False
    except Exception as exc:
        raise ChannelError(f"Error: the sticker image could not be read: {exc}") from None


async def to_voice_note(data: bytes) -> tuple[bytes, int]:
    """Any audio → OGG/Opus mono 48 kHz (what WhatsApp plays as a voice note), and its length in seconds."""
    with tempfile.TemporaryDirectory(prefix="evo-audio-") as folder:
        source = os.path.join(folder, "in")
        target = os.path.join(folder, "out.ogg")
        await asyncio.to_thread(Path(source).write_bytes, data)
        await _run(
            "ffmpeg", "-y", "-v", "error", "-i", source, "-vn", "-ac", "1", "-ar", "48000",
            "-c:a", "libopus", "-b:a", "64k", "-application", "voip", target,
        )  # fmt: skip
        seconds = await duration(target)
        return await asyncio.to_thread(Path(target).read_bytes), seconds


async def video_info(data: bytes) -> tuple[int, bytes | None]:
    """(seconds, JPEG thumbnail of the first frame) of a video; (0, None) when ffmpeg cannot read it,
    so an odd file still goes out, only without a preview."""
    with tempfile.TemporaryDirectory(prefix="evo-video-") as folder:
        source = os.path.join(folder, "in")
        thumb = os.path.join(folder, "thumb.jpg")
        await asyncio.to_thread(Path(source).write_bytes, data)
        try:
            seconds = await duration(source)
            await _run(
                "ffmpeg", "-y", "-v", "error", "-i", source, "-frames:v", "1",
                "-vf", "scale=w=96:h=96:force_original_aspect_ratio=decrease", thumb,
            )  # fmt: skip
            return seconds, await asyncio.to_thread(Path(thumb).read_bytes)
        except (ChannelError, OSError):
            return 0, None


async def duration(path: str) -> int:
    out = await _run("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path)
    try:
        return round(float(out.strip() or 0))
    except ValueError:
        return 0


async def _run(*command: str) -> str:
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError:
        raise ChannelError(f"Error: {command[0]} is not installed on the server") from None
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    if process.returncode != 0:
        raise ChannelError(f"Error: {command[0]} failed: {stderr.decode(errors='replace').strip()[:300]}")
    return stdout.decode(errors="replace")
