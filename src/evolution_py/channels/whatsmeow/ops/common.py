"""Small pieces every operations mixin shares: JIDs both ways, error texts, media loading."""

from __future__ import annotations

import base64
import binascii
import io
import re
from typing import Any

import httpx
from neonize.proto.Neonize_pb2 import JID

from evolution_py.channels.base import ChannelError
from evolution_py.channels.jid import create_jid

# One media body per request, and never an unbounded one.
MAX_MEDIA_BYTES = 64 * 1024 * 1024
_URL = re.compile(r"^https?://", re.IGNORECASE)
_DATA_URL = re.compile(r"^data:[^;,]*;base64,", re.IGNORECASE)


def to_jid(value: str) -> JID:
    """`5511...@s.whatsapp.net` / a bare number / `...@g.us` → neonize's JID. Every field is set:
    the Go side dereferences all of them and would crash on a missing one."""
    jid = create_jid(value) if "@" not in value else value
    user, _, server = jid.partition("@")
    device = 0
    if ":" in user:
        user, _, raw_device = user.partition(":")
        device = int(raw_device) if raw_device.isdigit() else 0
    return JID(User=user, Server=server or "s.whatsapp.net", Device=device, RawAgent=0, Integrator=0, IsEmpty=False)


def group_jid(value: str) -> JID:
    return to_jid(value if value.endswith("@g.us") else f"{value}@g.us")


def jid_str(jid: Any) -> str | None:
    """neonize's JID → `user@server` (None for the empty JID whatsmeow uses for "unknown")."""
    if jid is None or not getattr(jid, "Server", ""):
        return None
    user = jid.User
    if jid.Device:
        user = f"{user}:{jid.Device}"
    return f"{user}@{jid.Server}" if user else jid.Server


def unix_or_none(value: int | float) -> int | None:
    """whatsmeow encodes an unset time as Go's zero time (-62135596800); report it as unknown."""
    seconds = int(value)
    return seconds if seconds > 0 else None


def error_text(exc: BaseException) -> str:
    """The second message of upstream's two-string errors: its `error.toString()` (`Error: ...`)."""
    text = str(exc) or type(exc).__name__
    return text if text.startswith("Error") else f"Error: {text}"


def is_url(value: str) -> bool:
    return bool(_URL.match(value))


def decode_base64(value: str) -> bytes | None:
    raw = _DATA_URL.sub("", value.strip())
    if not raw:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


async def load_media(value: str, *, what: str = "media", proxy: str | None = None) -> bytes:
    """A URL (fetched with a timeout and a size cap, through the instance's proxy) or base64 → bytes."""
    if is_url(value):
        try:
            async with (
                httpx.AsyncClient(timeout=30, follow_redirects=True, proxy=proxy) as http,
                http.stream("GET", value) as response,
            ):
                if response.status_code >= 400:
                    raise ChannelError(f"Could not fetch {what}: HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_MEDIA_BYTES:
                        raise ChannelError(f"{what} is larger than {MAX_MEDIA_BYTES} bytes")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise ChannelError(f"Could not fetch {what}: {exc}") from None
    data = decode_base64(value)
    if data is None:
        raise ChannelError(f'"{what}" must be a url or a base64')
    return data


def to_jpeg(data: bytes, *, size: int = 640) -> bytes:
    """WhatsApp profile and group pictures are square JPEGs; whatsmeow sends the bytes as given."""
    from PIL import Image, UnidentifiedImageError

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
