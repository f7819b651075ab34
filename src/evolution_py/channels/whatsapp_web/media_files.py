"""Media conversions WhatsApp needs: voice notes → OGG/Opus and video facts (ffmpeg), stickers → WebP,
pictures → square JPEG, image thumbnails, and the MIME type of a body. Loading is `media_loader`'s."""

from __future__ import annotations

import asyncio
import io
import mimetypes
import os
import tempfile
from pathlib import Path

from evolution_py.channels.base import ChannelError
from evolution_py.channels.whatsapp_web import filetype
from evolution_py.channels.whatsapp_web.ffmpeg import ffmpeg_command, media_seconds


def sniff_mimetype(data: bytes, filename: str | None = None, fallback: str = "application/octet-stream") -> str:
    try:
        found = filetype.sniff(data)
        if found:
            return found
    except Exception:  # noqa: BLE001 - a library failing on odd bytes: fall back to the file name
        pass
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    return fallback


def image_info(data: bytes) -> tuple[int, int, bytes] | None:
    """(width, height, JPEG thumbnail) of an image, or None if Pillow cannot read it."""
    try:
        from PIL import Image  # noqa: PLC0415 - Pillow: loaded on first image

        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
            thumb = picture.convert("RGB")
            thumb.thumbnail((72, 72))
            out = io.BytesIO()
            thumb.save(out, "JPEG", quality=60)
            return width, height, out.getvalue()
    except Exception:  # noqa: BLE001 - an image Pillow cannot read has no thumbnail
        return None


def to_webp(data: bytes) -> tuple[bytes, bool]:
    """A sticker: fit into 512×512 on a transparent canvas, WebP; animated input (GIF, animated WebP)
    stays animated. Returns (webp bytes, animated)."""
    from PIL import Image, ImageSequence  # noqa: PLC0415 - Pillow: loaded on first image

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
    except Exception as exc:  # noqa: BLE001 - any unreadable sticker becomes upstream's error answer
        raise ChannelError(f"Error: the sticker image could not be read: {exc}") from None


async def to_voice_note(data: bytes) -> tuple[bytes, int]:
    """Any audio → OGG/Opus mono 48 kHz (what WhatsApp plays as a voice note), and its length in seconds."""
    with tempfile.TemporaryDirectory(prefix="evo-audio-") as folder:
        source = os.path.join(folder, "in")
        target = os.path.join(folder, "out.ogg")
        await asyncio.to_thread(Path(source).write_bytes, data)
        await _run(
            ffmpeg_command(), "-y", "-v", "error", "-i", source, "-vn", "-ac", "1", "-ar", "48000",
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
                ffmpeg_command(), "-y", "-v", "error", "-i", source, "-frames:v", "1",
                "-vf", "scale=w=96:h=96:force_original_aspect_ratio=decrease", thumb,
            )  # fmt: skip
            return seconds, await asyncio.to_thread(Path(thumb).read_bytes)
        except (ChannelError, OSError):
            return 0, None


async def duration(path: str) -> int:
    """Whole seconds of a media file, from ffmpeg's own report of its input (no ffprobe needed:
    the ffmpeg wheel ships ffmpeg alone); 0 when it names none."""
    _code, report = await _exec(ffmpeg_command(), "-hide_banner", "-i", path)  # no output: exits 1
    return media_seconds(report)


async def _exec(*command: str) -> tuple[int, str]:
    """(exit code, stderr) of a command bounded to 120 s; its stdout is dropped."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError:
        raise ChannelError("Error: ffmpeg is not installed on the server") from None
    _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, stderr.decode(errors="replace")


async def _run(*command: str) -> None:
    code, stderr = await _exec(*command)
    if code != 0:
        raise ChannelError(f"Error: ffmpeg failed: {stderr.strip()[:300]}")


def to_jpeg(data: bytes, *, size: int = 640) -> bytes:
    """WhatsApp profile and group pictures are square JPEGs; whatsmeow sends the bytes as given."""
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 - Pillow: loaded on first image

    try:
        opened = Image.open(io.BytesIO(data))
        opened.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ChannelError(f"The picture is not an image: {exc}") from None
    image = opened.convert("RGB")
    side = min(image.size)
    left = (image.width - side) // 2
    top = (image.height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    if side > size:
        image = image.resize((size, size))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
