"""Test helpers of media storage: the env that points the server at moto's S3, and a boto3 reader."""

from __future__ import annotations

from typing import Any

import boto3

from evolution_py.sinks.moto_server import MOTO_KEYS


def s3_env(port: int, bucket: str, **extra: str) -> dict[str, str]:
    return {
        "S3_ENABLED": "true",
        "S3_ENDPOINT": "127.0.0.1",
        "S3_PORT": str(port),
        "S3_USE_SSL": "false",
        "S3_BUCKET": bucket,
        "S3_ACCESS_KEY": MOTO_KEYS["access_key"],
        "S3_SECRET_KEY": MOTO_KEYS["secret_key"],
        "S3_REGION": MOTO_KEYS["region"],
        **extra,
    }


def s3_client(port: int) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=MOTO_KEYS["region"],
        aws_access_key_id=MOTO_KEYS["access_key"],
        aws_secret_access_key=MOTO_KEYS["secret_key"],
    )


def object_keys(port: int, bucket: str) -> list[str]:
    listed = s3_client(port).list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(str(item["Key"]) for item in listed)
