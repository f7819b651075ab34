"""The one media loader: a picture from a URL (real local HTTP server) or base64, with the size cap."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evolution_py.channels.base import ChannelError
from evolution_py.channels.whatsapp_web import media_loader
from evolution_py.channels.whatsapp_web.media_loader import picture_wording
from evolution_py.outbound import OutboundClient
from tests.support.server import free_port


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/big"):
            body = b"x" * 2048
        elif self.path.startswith("/ok"):
            body = b"picture-bytes"
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return None


@pytest.fixture
def http_base() -> Iterator[str]:
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


async def load_picture(value: str, what: str = "media") -> bytes:
    client = OutboundClient(block_private_networks=False, user_agent="test")
    try:
        loaded = await media_loader.load_media(value, wording=picture_wording(what), client=client, proxy=None)
    finally:
        await client.close()
    return loaded.data


async def test_url_base64_and_limits(http_base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert await load_picture(f"{http_base}/ok") == b"picture-bytes"
    assert await load_picture("cGljdHVyZQ==") == b"picture"
    assert await load_picture("data:image/png;base64,cGljdHVyZQ==") == b"picture"
    with pytest.raises(ChannelError) as missing:
        await load_picture(f"{http_base}/nope", what="picture")
    assert missing.value.messages == ["Could not fetch picture: HTTP 404"]
    with pytest.raises(ChannelError) as not_media:
        await load_picture("not base64!", what="picture")
    assert not_media.value.messages == ['"picture" must be a url or a base64']
    monkeypatch.setattr(media_loader, "MAX_MEDIA_BYTES", 1024)
    with pytest.raises(ChannelError) as big:
        await load_picture(f"{http_base}/big", what="picture")
    assert big.value.messages == ["picture is larger than 1024 bytes"]


async def test_a_trickling_media_server_is_cut_by_one_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx's timeout is per read: a server sending a byte every 50 ms would never trip it. The
    loader's limit is for the whole fetch."""
    import asyncio
    import time

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
        try:
            for _ in range(2000):
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(media_loader, "FETCH_TIMEOUT_SECONDS", 0.5)
    client = OutboundClient(block_private_networks=False, user_agent="test")
    started = time.monotonic()
    try:
        with pytest.raises(ChannelError) as slow:
            await media_loader.load_media(
                f"http://127.0.0.1:{port}/slow", wording=picture_wording("picture"), client=client, proxy=None
            )
    finally:
        server.close()
        await client.close()
    assert time.monotonic() - started < 3
    assert "within 0.5s" in str(slow.value.messages)
