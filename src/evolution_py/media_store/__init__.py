"""Media storage in S3 / MinIO (upstream's `S3_*`): media of received and sent messages uploaded under
upstream's keys, `message.mediaUrl` a presigned link, a `Media` row per stored message.

config.py (S3_* → S3Settings) · bucket.py (the bucket, through aiobotocore) · storage.py (what the
message path calls, and the retries) · models.py (the Media table) · testing.py (moto's S3 in tests).
The `/s3/*` routes are `api/s3.py`.
"""

from __future__ import annotations

from evolution_py.config import Settings
from evolution_py.media_store.config import load_s3_settings
from evolution_py.media_store.storage import MediaStorage
from evolution_py.store.db import Database


def media_storage(settings: Settings, db: Database) -> MediaStorage | None:
    """The server's media storage when S3_ENABLED (S3_* read at start: a bad value stops the server)."""
    s3 = load_s3_settings(settings.env)
    return MediaStorage(s3, db) if s3.enabled else None
