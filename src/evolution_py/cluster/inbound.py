"""Which instances a channel's inbound webhook is for, read from its body: `POST /webhook/evolution`
names its instance by `numberId`, `POST /webhook/meta` (Meta's Cloud API, which sends no key) each
change's `metadata.phone_number_id`. Neither has a path segment that names the instance, and each
node's handler looks only at the instances it holds, so the cluster's router (cluster/routing.py)
finds the owners of these numbers and hands the request, unchanged, to them: Meta's signature covers
the raw body."""

from __future__ import annotations

from typing import Any

import msgspec

from evolution_py.channels.cloud_api.webhook import changes, phone_number_id
from evolution_py.channels.registry import ChannelKinds

EVOLUTION_PATH = "/webhook/evolution"
META_PATH = "/webhook/meta"
INBOUND_PATHS = frozenset({EVOLUTION_PATH, META_PATH})


def inbound_numbers(path: str, body: bytes) -> set[str]:
    """The instance numbers the body names; empty when it names none (or is not JSON): the app
    then answers on this node as on a single one."""
    try:
        data: Any = msgspec.json.decode(body) if body else None
    except msgspec.DecodeError:
        return set()
    if not isinstance(data, dict):
        return set()
    if path == EVOLUTION_PATH:
        number = data.get("numberId")
        return {number} if isinstance(number, str) and number else set()
    return {found for _field, value in changes(data) if (found := phone_number_id(value))}


def inbound_integrations(path: str, kinds: ChannelKinds) -> list[str]:
    """The integrations whose instances the route's handler serves (api/channel_webhooks.py)."""
    if path == EVOLUTION_PATH:
        return ["EVOLUTION"]
    return [kind.integration for kind in kinds if kind.meta_webhook]
