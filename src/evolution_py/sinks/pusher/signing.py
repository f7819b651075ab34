"""Pusher's signed REST call (the HTTP API's authentication): `auth_key`, `auth_timestamp`,
`auth_version=1.0`, `body_md5` of the body, and `auth_signature` = HMAC-SHA256 of
`POST\\n<path>\\n<sorted query>` with the app secret."""

from __future__ import annotations

import hashlib
import hmac
import time


def signed_query(key: str, secret: str, path: str, body: bytes, now: int | None = None) -> str:
    params = {
        "auth_key": key,
        "auth_timestamp": str(int(time.time()) if now is None else now),
        "auth_version": "1.0",
        "body_md5": hashlib.md5(body, usedforsecurity=False).hexdigest(),  # Pusher asks for MD5
    }
    query = "&".join(f"{name}={params[name]}" for name in sorted(params))
    signature = hmac.new(secret.encode(), f"POST\n{path}\n{query}".encode(), hashlib.sha256).hexdigest()
    return f"{query}&auth_signature={signature}"
