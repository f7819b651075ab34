"""S3_* environment variables → settings (upstream's names and defaults: a MinIO-style endpoint)."""

from __future__ import annotations

import msgspec

from evolution_py.config import ConfigError, Env

# MinIO's presignedGetObject default: 7 days, also the longest a SigV4 presigned URL may live.
DEFAULT_URL_EXPIRY = 7 * 24 * 3600


class S3Settings(msgspec.Struct, kw_only=True, frozen=True):
    enabled: bool = False
    access_key: str = ""
    secret_key: str = ""
    bucket: str = ""
    endpoint: str = ""  # a host name, as MinIO's client takes it (S3_ENDPOINT=s3.amazonaws.com for AWS)
    port: int = 9000
    use_ssl: bool = False
    region: str | None = None
    skip_policy: bool = False  # S3_SKIP_POLICY: don't make the bucket publicly readable
    save_video: bool = False  # S3_SAVE_VIDEO: upstream skips videos unless this is true
    # Ours: how long the message path waits for one upload before it goes on without mediaUrl.
    inline_timeout: float = 10.0

    @property
    def endpoint_url(self) -> str:
        return f"{'https' if self.use_ssl else 'http'}://{self.endpoint}:{self.port}"

    @property
    def is_aws(self) -> bool:
        return self.endpoint.endswith("amazonaws.com")


def load_s3_settings(env: Env) -> S3Settings:
    enabled = env.flag("S3_ENABLED", False)
    endpoint = env.text("S3_ENDPOINT", "")
    bucket = env.text("S3_BUCKET", "")
    if enabled:
        if not endpoint or "/" in endpoint:
            raise ConfigError(f"S3_ENDPOINT: expected a host name (e.g. minio or s3.amazonaws.com), got {endpoint!r}")
        if not bucket:
            raise ConfigError("S3_BUCKET: required when S3_ENABLED=true")
    return S3Settings(
        enabled=enabled,
        access_key=env.text("S3_ACCESS_KEY", ""),
        secret_key=env.text("S3_SECRET_KEY", ""),
        bucket=bucket,
        endpoint=endpoint,
        port=env.integer("S3_PORT", 9000, minimum=1),
        use_ssl=env.flag("S3_USE_SSL", False),
        region=env.raw("S3_REGION") or None,
        skip_policy=env.flag("S3_SKIP_POLICY", False),
        save_video=env.flag("S3_SAVE_VIDEO", False),
        inline_timeout=env.number("S3_UPLOAD_TIMEOUT", 10.0),
    )
