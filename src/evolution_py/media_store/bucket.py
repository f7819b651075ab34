"""The media bucket through aiobotocore: created at start when missing (with upstream's public-read
policy unless S3_SKIP_POLICY), objects put under `evolution-api/`, presigned GET links."""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from evolution_py.media_store.config import DEFAULT_URL_EXPIRY, S3Settings

log = logging.getLogger(__name__)

PREFIX = "evolution-api"  # upstream's uploadFile puts every object under this folder


class StorageUnavailable(Exception):
    """The bucket did not take or answer the request now: retry later."""


class Bucket:
    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self.ready = False  # the bucket was found or created

    async def start(self) -> None:
        settings = self.settings
        config = Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 1},  # storage.py retries, with backoff
            max_pool_connections=32,
            signature_version="s3v4",
            # MinIO and other S3-compatible servers want path-style URLs (MinIO's own client does).
            s3={"addressing_style": "auto" if settings.is_aws else "path"},
        )
        self._client = await self._stack.enter_async_context(
            get_session().create_client(
                "s3",
                region_name=settings.region or "us-east-1",
                endpoint_url=settings.endpoint_url,
                aws_access_key_id=settings.access_key or None,
                aws_secret_access_key=settings.secret_key or None,
                config=config,
            )
        )

    async def stop(self) -> None:
        await self._stack.aclose()
        self._client = None

    async def ensure(self) -> None:
        """The bucket exists (created if missing) and, unless S3_SKIP_POLICY, is publicly readable.

        Only an unreachable server is an error here: a refused creation or policy (credentials that
        may put objects but not manage buckets) is logged and uploads are tried anyway, as upstream."""
        if self.ready:
            return
        name = self.settings.bucket
        try:
            await self._client.head_bucket(Bucket=name)
        except ClientError:
            try:
                await self._client.create_bucket(Bucket=name)
                log.info("s3: bucket %s created", name)
            except ClientError as exc:
                log.warning("s3: could not create bucket %s: %s", name, _code(exc))
            except (BotoCoreError, OSError, TimeoutError) as exc:
                raise StorageUnavailable(type(exc).__name__) from exc
        except (BotoCoreError, OSError, TimeoutError) as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        if not self.settings.skip_policy:
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": ["s3:GetObject"],
                        "Resource": [f"arn:aws:s3:::{name}/*"],
                    }
                ],
            }
            try:
                await self._client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
            except ClientError as exc:
                log.warning("s3: could not set the public-read policy on %s: %s", name, _code(exc))
            except (BotoCoreError, OSError, TimeoutError) as exc:
                raise StorageUnavailable(type(exc).__name__) from exc
        self.ready = True

    async def put(self, file_name: str, data: bytes, content_type: str) -> None:
        await self.ensure()
        await self._call(
            "put_object",
            Bucket=self.settings.bucket,
            Key=f"{PREFIX}/{file_name}",
            Body=data,
            ContentType=content_type,
            Metadata={"custom-header-application": "evolution-api"},
        )

    async def url(self, file_name: str, expiry: int | None = None) -> str:
        """A presigned GET link (MinIO's presignedGetObject: 7 days unless told)."""
        if self._client is None:
            raise StorageUnavailable("not started")
        link: str = await self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.settings.bucket, "Key": f"{PREFIX}/{file_name}"},
            ExpiresIn=expiry or DEFAULT_URL_EXPIRY,
        )
        return link

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        if self._client is None:
            raise StorageUnavailable("not started")
        try:
            answer: dict[str, Any] = await getattr(self._client, operation)(**params)
        except ClientError as exc:
            raise StorageUnavailable(_code(exc)) from exc
        except (BotoCoreError, OSError, TimeoutError) as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        return answer


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "error"))
