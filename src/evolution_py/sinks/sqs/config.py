"""SQS_* environment variables → settings (upstream's names and defaults, plus SQS_ENDPOINT)."""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

from evolution_py.config import ConfigError, Env
from evolution_py.events.names import EVENT_KEYS

# The keys upstream reads from SQS_GLOBAL_<KEY> (its list: no INSTANCE_CREATE, INSTANCE_DELETE,
# STATUS_INSTANCE or SEND_MESSAGE_UPDATE). Its `GROUPS_UPDATE` flag is our `GROUP_UPDATE` key.
GLOBAL_SQS_KEYS: tuple[str, ...] = tuple(
    key
    for key in EVENT_KEYS
    if key not in ("INSTANCE_CREATE", "INSTANCE_DELETE", "STATUS_INSTANCE", "SEND_MESSAGE_UPDATE")
)


def _global_flag(key: str) -> str:
    return f"SQS_GLOBAL_{'GROUPS_UPDATE' if key == 'GROUP_UPDATE' else key}"


class SqsSettings(msgspec.Struct, kw_only=True, frozen=True):
    enabled: bool = False
    global_enabled: bool = False
    force_single_queue: bool = False
    global_prefix: str = "global"
    access_key_id: str = ""
    secret_access_key: str = ""
    account_id: str = ""
    region: str = ""
    max_payload_size: int = 1048576
    server_name: str = "evolution"  # SERVER_NAME: upstream puts it in the message and the group id
    global_events: frozenset[str] = frozenset()
    # Ours: an SQS-compatible server (ElasticMQ, LocalStack, moto) instead of sqs.<region>.amazonaws.com.
    endpoint: str | None = None


def load_sqs_settings(env: Env) -> SqsSettings:
    enabled = env.flag("SQS_ENABLED", False)
    endpoint = env.raw("SQS_ENDPOINT") or None
    if enabled and endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"SQS_ENDPOINT: expected http(s)://host[:port], got {endpoint!r}")
    return SqsSettings(
        enabled=enabled,
        global_enabled=env.flag("SQS_GLOBAL_ENABLED", False),
        force_single_queue=env.flag("SQS_GLOBAL_FORCE_SINGLE_QUEUE", False),
        global_prefix=env.text("SQS_GLOBAL_PREFIX_NAME", "global"),
        access_key_id=env.text("SQS_ACCESS_KEY_ID", ""),
        secret_access_key=env.text("SQS_SECRET_ACCESS_KEY", ""),
        account_id=env.text("SQS_ACCOUNT_ID", ""),
        region=env.text("SQS_REGION", ""),
        max_payload_size=env.integer("SQS_MAX_PAYLOAD_SIZE", 1048576, minimum=1),
        server_name=env.text("SERVER_NAME", "evolution"),
        global_events=frozenset(key for key in GLOBAL_SQS_KEYS if env.flag(_global_flag(key))),
        endpoint=endpoint,
    )
