"""Webhook variables, by Evolution API's names (plus a few of ours, all optional), read once at start."""

from __future__ import annotations

import re

import msgspec

from evolution_py.config import ConfigError, Env
from evolution_py.events.retry import RetryPolicy
from evolution_py.sinks.webhook.signing import secret_bytes

# The global event flags upstream reads (`WEBHOOK_EVENTS_<KEY>`). REMOVE_INSTANCE, LOGOUT_INSTANCE and
# STATUS_INSTANCE have none: upstream delivers them only to per-instance webhooks.
GLOBAL_EVENT_KEYS: tuple[str, ...] = (
    "APPLICATION_STARTUP",
    "INSTANCE_CREATE",
    "INSTANCE_DELETE",
    "QRCODE_UPDATED",
    "MESSAGES_SET",
    "MESSAGES_UPSERT",
    "MESSAGES_EDITED",
    "MESSAGES_UPDATE",
    "MESSAGES_DELETE",
    "SEND_MESSAGE",
    "SEND_MESSAGE_UPDATE",
    "CONTACTS_SET",
    "CONTACTS_UPDATE",
    "CONTACTS_UPSERT",
    "PRESENCE_UPDATE",
    "CHATS_SET",
    "CHATS_UPDATE",
    "CHATS_UPSERT",
    "CHATS_DELETE",
    "CONNECTION_UPDATE",
    "LABELS_EDIT",
    "LABELS_ASSOCIATION",
    "GROUPS_UPSERT",
    "GROUPS_UPDATE",
    "GROUP_PARTICIPANTS_UPDATE",
    "CALL",
    "TYPEBOT_START",
    "TYPEBOT_CHANGE_STATUS",
)

HTTP_URL = re.compile(r"^https?://", re.IGNORECASE)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def header_problem(headers: object) -> str | None:
    """Why a webhook `headers` object cannot be sent as HTTP headers, or None when it can."""
    if headers is None:
        return None
    if not isinstance(headers, dict):
        return "webhook.headers must be an object of header names to values"
    for name, value in headers.items():
        if not _HEADER_NAME.match(str(name)):
            return f"webhook.headers: {name!r} is not a valid header name"
        if isinstance(value, dict | list):
            continue  # sent as JSON text, like upstream's axios does with objects
        if any(ch in str(value) for ch in "\r\n\0"):
            return f"webhook.headers: the value of {name!r} contains a line break"
    return None


class WebhookConfig(msgspec.Struct, kw_only=True, frozen=True):
    global_enabled: bool = False
    global_url: str = ""
    global_by_events: bool = False
    global_events: frozenset[str] = frozenset()
    request_timeout: float = 30.0  # seconds, per attempt
    retry: RetryPolicy = RetryPolicy()
    non_retryable_statuses: frozenset[int] = frozenset({400, 401, 403, 404, 422})
    concurrency_per_target: int = 32
    block_private_networks: bool = False
    signing_secret: str = ""  # Standard Webhooks secret (`whsec_<base64>`), signs every delivery

    @classmethod
    def from_env(cls, env: Env) -> WebhookConfig:
        statuses: set[int] = set()
        for item in env.csv("WEBHOOK_RETRY_NON_RETRYABLE_STATUS_CODES", ["400", "401", "403", "404", "422"]):
            try:
                statuses.add(int(item))
            except ValueError:
                raise ConfigError(f"WEBHOOK_RETRY_NON_RETRYABLE_STATUS_CODES: {item!r} is not a status code") from None
        secret = env.text("WEBHOOK_SIGNING_SECRET")
        if secret:
            try:
                secret_bytes(secret)
            except ValueError as exc:
                raise ConfigError(f"WEBHOOK_SIGNING_SECRET: {exc}") from None
        return cls(
            global_enabled=env.flag("WEBHOOK_GLOBAL_ENABLED", False),
            global_url=env.text("WEBHOOK_GLOBAL_URL"),
            global_by_events=env.flag("WEBHOOK_GLOBAL_WEBHOOK_BY_EVENTS", False),
            # Upstream turns a flag on only when it is exactly `true`.
            global_events=frozenset(
                key for key in GLOBAL_EVENT_KEYS if (env.raw(f"WEBHOOK_EVENTS_{key}") or "").lower() == "true"
            ),
            request_timeout=env.integer("WEBHOOK_REQUEST_TIMEOUT_MS", 30000, minimum=1) / 1000,
            retry=RetryPolicy(
                max_attempts=env.integer("WEBHOOK_RETRY_MAX_ATTEMPTS", 10, minimum=1),
                initial_delay=_positive(env, "WEBHOOK_RETRY_INITIAL_DELAY_SECONDS", 5.0),
                max_delay=_positive(env, "WEBHOOK_RETRY_MAX_DELAY_SECONDS", 300.0),
                exponential=(env.raw("WEBHOOK_RETRY_USE_EXPONENTIAL_BACKOFF") or "").lower() != "false",
                jitter=_fraction(env, "WEBHOOK_RETRY_JITTER_FACTOR", 0.2),
            ),
            non_retryable_statuses=frozenset(statuses),
            concurrency_per_target=env.integer("WEBHOOK_CONCURRENCY_PER_TARGET", 32, minimum=1),
            block_private_networks=env.flag("WEBHOOK_BLOCK_PRIVATE_NETWORKS", False),
            signing_secret=secret,
        )


def _positive(env: Env, name: str, default: float) -> float:
    value = env.number(name, default)
    if value <= 0:
        raise ConfigError(f"{name}: must be greater than 0, got {value}")
    return value


def _fraction(env: Env, name: str, default: float) -> float:
    value = env.number(name, default)
    if not 0 <= value <= 1:
        raise ConfigError(f"{name}: must be between 0 and 1, got {value}")
    return value
