"""What the message path calls: `attach(instance, event, record)` stores a received (`messages.upsert`)
or sent (`send.message`) message's media in the bucket and puts its link in `message.mediaUrl`, as
upstream does, before the event goes out.

Storage being down never holds a message back: the upload gets `S3_UPLOAD_TIMEOUT` seconds (none at
all while the bucket is known to be down), then the event goes out without `mediaUrl` and the upload
is retried in the background, forever, with backoff; once it lands, the stored message gets its
`mediaUrl` and its `Media` row (so `/s3/getMediaUrl` and `findMessages` have it). Pending retries live
in this process: after a restart the file can still be fetched with `getBase64FromMediaMessage`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import mimetypes
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select

from evolution_py.dto.chat import GetBase64, MediaMessageRef
from evolution_py.events import names
from evolution_py.media_store.bucket import Bucket, StorageUnavailable
from evolution_py.media_store.config import S3Settings
from evolution_py.media_store.models import Media
from evolution_py.store.db import Database
from evolution_py.store.models import Message
from evolution_py.store.safe_text import safe_text

log = logging.getLogger(__name__)

MEDIA_KINDS = ("imageMessage", "documentMessage", "audioMessage", "videoMessage", "stickerMessage", "ptvMessage")
VIDEO_KINDS = ("videoMessage", "ptvMessage")
MAX_PENDING = 10_000  # retries waiting at once; past it the oldest is given up (logged)
MAX_PENDING_BYTES = 256 * 1024 * 1024  # files held for retries; past it a retry downloads again
LINK_WAIT_SECONDS = 30.0  # how long a stored file waits for its message row (received: saved after emit)


class MediaChannel(Protocol):
    async def get_base64_from_media_message(self, req: GetBase64) -> dict[str, Any]: ...


class MediaInstance(Protocol):
    """The loaded instance, as far as media storage needs it."""

    @property
    def instance_id(self) -> str: ...

    @property
    def channel(self) -> Any: ...  # its `.media` is a MediaChannel


@dataclass
class Upload:
    instance: MediaInstance
    instance_id: str
    key: dict[str, Any]
    message: dict[str, Any]
    received: bool
    at_ms: int
    data: bytes | None = None
    file_name: str | None = None  # the object's name below `evolution-api/`, once known
    media_type: str = ""
    mimetype: str = ""
    held: int = 0  # bytes counted against MAX_PENDING_BYTES while queued


class MediaStorage:
    def __init__(self, settings: S3Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.bucket = Bucket(settings)
        self._pending: deque[Upload] = deque()
        self._pending_bytes = 0
        self._wake = asyncio.Event()
        self._down = False  # the last upload failed and no retry has landed since
        self._tasks: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self.stored = 0  # uploads that landed (tests and logs)

    async def start(self) -> None:
        await self.bucket.start()
        self._worker = asyncio.create_task(self._retry_forever(), name="s3-retries")
        with contextlib.suppress(StorageUnavailable):
            await asyncio.wait_for(self.bucket.ensure(), self.settings.inline_timeout)
        if not self.bucket.ready:
            log.warning("s3: bucket %s not reachable at start; media uploads will be retried", self.settings.bucket)

    async def stop(self) -> None:
        for task in [*self._tasks, *([self._worker] if self._worker else [])]:
            task.cancel()
        await asyncio.gather(*self._tasks, *([self._worker] if self._worker else []), return_exceptions=True)
        self._worker = None
        await self.bucket.stop()

    async def put_object(self, file_name: str, data: bytes, content_type: str) -> str:
        """Put a file under `evolution-api/<file_name>` and return its presigned link (SQS's oversized
        bodies); StorageUnavailable when storage does not take it now."""
        await self.bucket.put(file_name, data, content_type)
        return await self.bucket.url(file_name)

    @property
    def pending(self) -> int:
        return len(self._pending)

    # --- the message path ------------------------------------------------------------------------

    async def attach(self, instance: MediaInstance, event: str, data: Any) -> None:
        """Store the media of a `messages.upsert` / `send.message` record and set `message.mediaUrl`."""
        if event not in (names.MESSAGES_UPSERT, names.SEND_MESSAGE) or not isinstance(data, dict):
            return
        kind = data.get("messageType")
        key, message = data.get("key"), data.get("message")
        if kind not in MEDIA_KINDS or not isinstance(key, dict) or not isinstance(message, dict):
            return
        if kind in VIDEO_KINDS and not self.settings.save_video:
            return
        upload = Upload(
            instance=instance,
            instance_id=instance.instance_id,
            key=key,
            message=message,
            received=event == names.MESSAGES_UPSERT,
            at_ms=int(time.time() * 1000),
        )
        if self._down:  # known down: don't make every media message wait for a timeout
            self._queue(upload)
            return
        try:
            url = await asyncio.wait_for(self._store(upload), self.settings.inline_timeout)
        except (StorageUnavailable, TimeoutError) as exc:
            log.warning("s3: upload failed (%s); the message goes on without mediaUrl, retrying", exc)
            self._down = True
            self._queue(upload)
            return
        except MediaUnavailable as exc:
            log.warning("s3: no media to store for %s (%s)", key.get("id"), exc)
            return
        message["mediaUrl"] = url
        self._spawn(self._link(upload, url))

    # --- upload, link, retry -----------------------------------------------------------------------

    async def _store(self, upload: Upload) -> str:
        """Upload (fetching the file first if needed); the object's presigned URL."""
        if upload.data is None or upload.file_name is None:
            await self._fetch(upload)
        assert upload.data is not None and upload.file_name is not None
        await self.bucket.put(upload.file_name, upload.data, upload.mimetype)
        self.stored += 1
        return await self.bucket.url(upload.file_name)

    async def _fetch(self, upload: Upload) -> None:
        ref = MediaMessageRef(key=upload.key, message=upload.message)
        try:
            answer = await upload.instance.channel.media.get_base64_from_media_message(GetBase64(message=ref))
        except Exception as exc:  # any channel failure: this message has no file to store
            raise MediaUnavailable(str(exc) or type(exc).__name__) from exc
        inline = upload.message.get("base64")
        encoded = inline if isinstance(inline, str) else answer.get("base64")
        try:
            upload.data = base64.b64decode(str(encoded or ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MediaUnavailable("the channel's base64 is not base64") from exc
        file_name = _safe_name(str(answer.get("fileName") or f"{upload.key.get('id')}.bin"))
        upload.media_type = _safe_name(str(answer.get("mediaType") or "media"))
        upload.mimetype = mimetypes.guess_type(file_name)[0] or str(
            answer.get("mimetype") or "application/octet-stream"
        )
        remote_jid = _safe_name(str(upload.key.get("remoteJid") or "unknown"))
        if upload.received:  # upstream: <instance>/<chat>/<media type>/<ms>_<file name>
            upload.file_name = f"{upload.instance_id}/{remote_jid}/{upload.media_type}/{upload.at_ms}_{file_name}"
        else:  # upstream: <instance>/<chat>/<message id>/<media type>/<file name>
            key_id = _safe_name(str(upload.key.get("id") or "unknown"))
            upload.file_name = f"{upload.instance_id}/{remote_jid}/{key_id}/{upload.media_type}/{file_name}"

    async def _link(self, upload: Upload, url: str) -> None:
        """The stored message gets `mediaUrl` and a Media row (waiting for a received message's row)."""
        key_id = str(upload.key.get("id") or "")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LINK_WAIT_SECONDS
        while True:
            async with self.db.transaction() as session:
                row = (
                    (
                        await session.execute(
                            select(Message).where(Message.instanceId == upload.instance_id, Message.keyId == key_id)
                        )
                    )
                    .scalars()
                    .first()
                )
                if row is not None:
                    row.message = {**(row.message or {}), "mediaUrl": url}
                    exists = (await session.execute(select(Media.id).where(Media.messageId == row.id))).first()
                    if exists is None:
                        session.add(
                            Media(
                                fileName=upload.file_name or "",
                                type=safe_text(upload.media_type, 100),
                                mimetype=safe_text(upload.mimetype, 100),
                                messageId=row.id,
                                instanceId=upload.instance_id,
                            )
                        )
                    return
            if loop.time() > deadline:
                return  # not stored (DATABASE_SAVE_DATA_NEW_MESSAGE off): the file is in the bucket alone
            await asyncio.sleep(0.2)

    def _queue(self, upload: Upload) -> None:
        if upload.data is not None and self._pending_bytes + len(upload.data) > MAX_PENDING_BYTES:
            upload.data = None  # downloaded again when its turn comes
        upload.held = len(upload.data or b"")
        self._pending_bytes += upload.held
        self._pending.append(upload)
        while len(self._pending) > MAX_PENDING:
            dropped = self._pending.popleft()
            self._pending_bytes -= dropped.held
            log.error("s3: retry queue full; media of message %s will not be stored", dropped.key.get("id"))
        self._wake.set()

    async def _retry_forever(self) -> None:
        delay = 0.5
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
                continue
            upload = self._pending[0]
            try:
                url = await self._store(upload)
            except MediaUnavailable as exc:
                log.warning("s3: giving up on message %s: %s", upload.key.get("id"), exc)
            except (StorageUnavailable, TimeoutError) as exc:
                log.info("s3: still unavailable (%s); next try in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)
                continue
            else:
                # Only the stored message gets the link: the event already went out without it.
                try:
                    await self._link(upload, url)
                except Exception as exc:  # noqa: BLE001 - the worker must outlive a database blip
                    # Before, this ended the worker: every later upload queued and none was tried.
                    # The upload is tried again whole (the same key: the object is overwritten).
                    log.warning(
                        "s3: media of message %s stored but not linked (%s); next try in %.1fs",
                        upload.key.get("id"),
                        type(exc).__name__,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(30.0, delay * 2)
                    continue
                self._down = False
                delay = 0.5
            self._pending.popleft()
            self._pending_bytes -= upload.held

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class MediaUnavailable(Exception):
    """The channel has no file for this message (not media after all, or the download failed)."""


def _safe_name(value: str) -> str:
    """One path segment of an object key: no separators, no dot-dot, bounded."""
    cleaned = value.replace("/", "_").replace("\\", "_").replace("\x00", "")
    if cleaned in ("", ".", ".."):
        cleaned = "_"
    return cleaned[:200]
