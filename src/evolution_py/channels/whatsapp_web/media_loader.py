"""The one media loader: a request's media body is an upload, a URL or base64 (a data URL too).
URLs are fetched through the guarded outbound client (WEBHOOK_BLOCK_PRIVATE_NETWORKS checks every
hop) and the instance's proxy (http, https, socks4, socks5), with one time limit and one size cap,
whatever the route (sendMedia, stickers, statuses, profile and group pictures).

Upstream words a failed load differently on its send routes and its picture routes; `Wording`
keeps each route's text while the loading itself is shared."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from evolution_py.channels.base import ChannelError
from evolution_py.dto.message import UploadedFile
from evolution_py.outbound import OutboundClient, OutboundError

# One media body per request is held in memory, never an unbounded one. WhatsApp's own document
# limit was 100 MB when upstream's routes were written.
MAX_MEDIA_BYTES = 100 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 60.0

_URL = re.compile(r"^https?://", re.IGNORECASE)
_DATA_URL = re.compile(r"^data:[^;,]*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


@dataclass
class LoadedMedia:
    data: bytes
    filename: str | None
    mimetype: str | None
    from_url: bool = False


@dataclass(frozen=True)
class Wording:
    """A route's error texts; `{status}`, `{limit}` and `{error}` are filled in."""

    not_media: str
    http_status: str
    too_large: str
    unreachable: str


def send_wording(not_media: str) -> Wording:
    """The `/message/send*` routes."""
    return Wording(
        not_media=not_media,
        http_status="Error: media download failed with HTTP {status}",
        too_large="Error: media is larger than {limit} bytes",
        unreachable="Error: media download failed: {error}",
    )


def picture_wording(what: str) -> Wording:
    """Profile and group pictures."""
    return Wording(
        not_media=f'"{what}" must be a url or a base64',
        http_status=f"Could not fetch {what}: HTTP {{status}}",
        too_large=f"{what} is larger than {{limit}} bytes",
        unreachable=f"Could not fetch {what}: {{error}}",
    )


def is_url(value: str | None) -> bool:
    return bool(value and _URL.match(value))


def decode_base64(value: str) -> bytes | None:
    """Plain or data-URL base64 (line breaks allowed) → bytes; None when it is not base64 or empty."""
    raw = _WHITESPACE.sub("", _DATA_URL.sub("", value.strip()))
    if not raw:
        return None
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data or None


async def load_media(
    value: str | None,
    upload: UploadedFile | None = None,
    *,
    wording: Wording,
    client: OutboundClient,
    proxy: str | None,
    max_bytes: int | None = None,
) -> LoadedMedia:
    """The media of one request (an upload wins over `value`); exactly one body is held in memory."""
    if upload is not None:
        return LoadedMedia(upload.data, upload.filename, upload.content_type)
    if not value:
        raise ChannelError(wording.not_media)
    if is_url(value):
        return await fetch(value, wording=wording, client=client, proxy=proxy, max_bytes=max_bytes)
    data = decode_base64(value)
    if data is None:
        raise ChannelError(wording.not_media)
    return LoadedMedia(data, None, None)


async def fetch(
    url: str, *, wording: Wording, client: OutboundClient, proxy: str | None, max_bytes: int | None = None
) -> LoadedMedia:
    """GET through the instance's proxy (None: direct), following redirects (each hop checked), within
    the cap and one time limit for the whole fetch (a trickling server cannot hold it)."""
    limit = max_bytes or MAX_MEDIA_BYTES
    try:
        answer = await client.request("GET", url, proxy=proxy, time_limit=FETCH_TIMEOUT_SECONDS, max_bytes=limit)
    except OutboundError as exc:
        raise ChannelError(wording.unreachable.format(error=exc.reason)) from None
    if answer.status >= 400:
        raise ChannelError(wording.http_status.format(status=answer.status))
    if answer.truncated:
        raise ChannelError(wording.too_large.format(limit=limit))
    content_type = answer.headers.get("content-type", "").split(";")[0].strip() or None
    name = Path(urlparse(url).path).name or None
    return LoadedMedia(answer.body, name, content_type, from_url=True)
