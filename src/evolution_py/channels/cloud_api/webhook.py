"""What `POST /webhook/meta` needs of this channel kind: the signature check (`X-Hub-Signature-256`,
HMAC-SHA256 of the raw body with the app secret), the changes of a delivery, and the forwarding of a
template's status change to the `webhookUrl` stored with it (a tenant's URL: the guarded client)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from typing import Any

from evolution_py.channels.cloud_api.templates import template_webhook_url
from evolution_py.outbound import OutboundClient, OutboundError
from evolution_py.store.db import Database

log = logging.getLogger(__name__)

TEMPLATE_STATUS = "message_template_status_update"
FORWARD_SECONDS = 10.0


def signature_ok(app_secret: str, raw: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def changes(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(field, value) of every change of every entry of a `whatsapp_business_account` delivery."""
    if body.get("object") != "whatsapp_business_account":
        return
    for entry in body.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or []:
            if isinstance(change, dict) and isinstance(change.get("value"), dict):
                yield str(change.get("field") or ""), change["value"]


def phone_number_id(value: dict[str, Any]) -> str | None:
    metadata = value.get("metadata")
    found = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    return str(found) if found else None


async def forward_template_status(db: Database, outbound: OutboundClient, value: dict[str, Any]) -> bool:
    """POST the change's value to its template's `webhookUrl`; False when there is none to tell."""
    template_id = value.get("message_template_id")
    if template_id is None:
        return False
    url = await template_webhook_url(db, str(template_id))
    if not url:
        log.info("template status update for unknown template %s", template_id)
        return False
    try:
        answer = await outbound.request("POST", url, json=value, time_limit=FORWARD_SECONDS, max_bytes=4096)
    except OutboundError as exc:
        log.warning("template status update not forwarded: %s", exc.reason)
        return False
    if not answer.ok:
        log.warning("template status update not taken: %s", answer.failure())
    return answer.ok
