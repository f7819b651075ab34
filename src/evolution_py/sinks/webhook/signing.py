"""Request authentication for webhooks.

- upstream's rule: a `jwt_key` entry in an instance's `headers` is removed and replaced by
  `Authorization: Bearer <HS256 JWT {iat, exp=iat+600, app:"evolution", action:"webhook"}>`;
- ours, opt-in: Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`,
  `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`) with a `whsec_` secret
  from `WEBHOOK_SIGNING_SECRET` or an instance's `headers.webhook_secret`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_hs256(secret: str, now: int) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iat": now, "exp": now + 600, "app": "evolution", "action": "webhook"}
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def secret_bytes(secret: str) -> bytes:
    """A Standard Webhooks secret is `whsec_` + base64 of the key; a bare base64 key is accepted too."""
    raw = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("expected whsec_<base64 key>") from None
    if len(key) < 16:
        raise ValueError("the key must be at least 16 bytes (24 base64 characters)")
    return key


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
