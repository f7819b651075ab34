"""PUSHER_* environment variables → settings (upstream's names; PUSHER_HOST is ours)."""

from __future__ import annotations

import re

import msgspec

from evolution_py.config import ConfigError, Env
from evolution_py.events.names import GLOBAL_EVENT_KEYS, global_env_name

# A cluster names a host (`api-<cluster>.pusher.com`): only what a cluster name can be, so a tenant's
# row cannot point the server at another host.
CLUSTER = re.compile(r"^[a-z0-9-]{1,50}$")


class PusherApp(msgspec.Struct, kw_only=True, frozen=True):
    app_id: str
    key: str
    secret: str
    cluster: str
    use_tls: bool = False


class PusherSettings(msgspec.Struct, kw_only=True, frozen=True):
    enabled: bool = False
    global_enabled: bool = False
    global_app: PusherApp | None = None  # None unless every PUSHER_GLOBAL_* credential is set
    global_events: frozenset[str] = frozenset()
    # Ours: `host[:port]` every app's REST calls go to instead of api-<cluster>.pusher.com (soketi or
    # another Pusher-protocol server run by the operator).
    host: str | None = None
    request_timeout: float = 10.0


def load_pusher_settings(env: Env) -> PusherSettings:
    app_id, key = env.text("PUSHER_GLOBAL_APP_ID"), env.text("PUSHER_GLOBAL_KEY")
    secret, cluster = env.text("PUSHER_GLOBAL_SECRET"), env.text("PUSHER_GLOBAL_CLUSTER")
    global_app = None
    if app_id and key and secret and cluster:  # upstream makes the global client only then
        if not CLUSTER.match(cluster):
            raise ConfigError(f"PUSHER_GLOBAL_CLUSTER: expected a cluster name such as mt1, got {cluster!r}")
        global_app = PusherApp(
            app_id=app_id, key=key, secret=secret, cluster=cluster, use_tls=env.flag("PUSHER_GLOBAL_USE_TLS", False)
        )
    host = env.raw("PUSHER_HOST") or None
    if host is not None and not re.match(r"^[A-Za-z0-9.-]+(:\d{1,5})?$", host):
        raise ConfigError(f"PUSHER_HOST: expected host[:port], got {host!r}")
    return PusherSettings(
        enabled=env.flag("PUSHER_ENABLED", False),
        global_enabled=env.flag("PUSHER_GLOBAL_ENABLED", False),
        global_app=global_app,
        global_events=frozenset(key for key in GLOBAL_EVENT_KEYS if env.flag(global_env_name("PUSHER", key))),
        host=host,
        request_timeout=env.number("PUSHER_REQUEST_TIMEOUT", 10.0),
    )
