"""Pure rules of the webhook sink: backoff, signatures, private-network guard, event keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from evolution_py.config import ConfigError, Env
from evolution_py.events.names import kebab_suffix
from evolution_py.events.retry import RetryPolicy
from evolution_py.sinks.webhook.config import WebhookConfig
from evolution_py.sinks.webhook.guard import private_destination
from evolution_py.sinks.webhook.signing import jwt_hs256, standard_signature
from evolution_py.sinks.webhook.sink import instance_event_key


def test_upstream_backoff_sequence() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert [policy.delay(n) for n in range(1, 10)] == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    assert RetryPolicy(jitter=0.0, exponential=False).delay(7) == 5
    jittered = RetryPolicy()
    for n in range(1, 10):
        base = min(5 * 2 ** (n - 1), 300)
        assert max(5, base * 0.8) <= jittered.delay(n) <= base * 1.2


def test_backoff_after_very_many_failures_stays_at_the_ceiling() -> None:
    # 2**100000 does not fit a float: without the cap the retry itself raised OverflowError.
    policy = RetryPolicy(jitter=0.0)
    assert policy.delay(100_000) == 300
    assert policy.delay(66) == policy.delay(65) == 300


def test_standard_webhooks_published_vector() -> None:
    # The example from the Standard Webhooks specification.
    signature = standard_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_jwt_is_upstreams_hs256_token() -> None:
    token = jwt_hs256("key", 1_700_000_000)
    header, payload, signature = token.split(".")
    expected = hmac.new(b"key", f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "==") == expected
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert claims == {"iat": 1_700_000_000, "exp": 1_700_000_600, "app": "evolution", "action": "webhook"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.0.0.1/x",
        "http://172.16.5.4/x",
        "http://192.168.1.1/x",
        "http://169.254.169.254/x",
        "http://100.64.0.1/x",
        "http://0.0.0.0/x",
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "http://[fd00::1]/x",
        "http://[::ffff:10.0.0.1]/x",
        "http://localhost:8080/x",
    ],
)
async def test_guard_refuses_internal_destinations(url: str) -> None:
    reason = await private_destination(url)
    assert reason is not None and "WEBHOOK_BLOCK_PRIVATE_NETWORKS" in reason


@pytest.mark.parametrize("url", ["http://93.184.216.34/x", "https://[2606:4700::1111]/x", "not a url"])
async def test_guard_accepts_public_destinations(url: str) -> None:
    assert await private_destination(url) is None


def test_event_keys_and_suffixes() -> None:
    assert kebab_suffix("group-participants.update") == "group-participants-update"
    assert kebab_suffix("send.message.update") == "send-message-update"
    assert kebab_suffix("typebot.change-status") == "typebot-change-status"
    assert instance_event_key("groups.update") == "GROUP_UPDATE"
    assert instance_event_key("messages.upsert") == "MESSAGES_UPSERT"


def test_config_reads_upstream_variables_strictly() -> None:
    config = WebhookConfig.from_env(
        Env(
            {
                "WEBHOOK_GLOBAL_ENABLED": "true",
                "WEBHOOK_GLOBAL_URL": "https://h",
                "WEBHOOK_EVENTS_MESSAGES_UPSERT": "true",
                "WEBHOOK_EVENTS_SEND_MESSAGE": "TRUE",
                "WEBHOOK_EVENTS_CALL": "yes",
                "WEBHOOK_EVENTS_REMOVE_INSTANCE": "true",  # not read upstream: no global flag
                "WEBHOOK_RETRY_USE_EXPONENTIAL_BACKOFF": "no",
                "WEBHOOK_RETRY_NON_RETRYABLE_STATUS_CODES": "400, 410",
                "WEBHOOK_REQUEST_TIMEOUT_MS": "1500",
            }
        )
    )
    assert config.global_events == {"MESSAGES_UPSERT", "SEND_MESSAGE"}
    assert config.retry.exponential is True  # anything but `false` keeps it on (upstream)
    assert config.non_retryable_statuses == {400, 410}
    assert config.request_timeout == 1.5
    for name, value in (
        ("WEBHOOK_RETRY_MAX_ATTEMPTS", "0"),
        ("WEBHOOK_RETRY_JITTER_FACTOR", "2"),
        ("WEBHOOK_RETRY_NON_RETRYABLE_STATUS_CODES", "4xx"),
        ("WEBHOOK_SIGNING_SECRET", "whsec_c2hvcnQ="),
    ):
        with pytest.raises(ConfigError, match=name):
            WebhookConfig.from_env(Env({name: value}))
