"""WA_BUSINESS_*: parsed at start (a malformed value stops the server naming it), and the webhook
signature rule."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from evolution_py.app import build_services
from evolution_py.channels.cloud_api.config import load_config
from evolution_py.channels.cloud_api.webhook import signature_ok
from evolution_py.config import ConfigError, load_settings

KEY = "unit-test-global-key-0123456789"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WA_BUSINESS_RETRIES", "-1"), ("WA_BUSINESS_TIMEOUT_SECONDS", "soon"), ("WA_BUSINESS_MAX_MEDIA_MB", "big")],
)
def test_a_malformed_variable_stops_the_start(tmp_path: Path, variable: str, value: str) -> None:
    settings = load_settings(environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": KEY, variable: value})
    with pytest.raises(ConfigError, match=variable):
        build_services(settings)


def test_defaults_are_upstream_s(tmp_path: Path) -> None:
    config = load_config(load_settings(environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": KEY}))
    assert (config.url, config.version, config.language, config.verify_token) == (
        "https://graph.facebook.com",
        "v18.0",
        "en",
        "evolution",
    )
    assert (
        config.app_secret == "" and config.graph_url("/123/messages") == "https://graph.facebook.com/v18.0/123/messages"
    )


def test_signature() -> None:
    raw = b'{"object":"whatsapp_business_account"}'
    good = "sha256=" + hmac.new(b"secret", raw, hashlib.sha256).hexdigest()
    assert signature_ok("secret", raw, good)
    assert not signature_ok("secret", raw + b" ", good)
    assert not signature_ok("other", raw, good)
    assert not signature_ok("secret", raw, None)
    assert not signature_ok("secret", raw, good.removeprefix("sha256="))
