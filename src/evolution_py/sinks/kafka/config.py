"""KAFKA_* environment variables → settings (upstream's names and defaults; KAFKA_IDEMPOTENT is ours)."""

from __future__ import annotations

import msgspec

from evolution_py.config import ConfigError, Env
from evolution_py.events.names import GLOBAL_EVENT_KEYS, global_env_name

SASL_MECHANISMS = {"plain": "PLAIN", "scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512"}


class KafkaSettings(msgspec.Struct, kw_only=True, frozen=True):
    enabled: bool = False
    client_id: str = "evolution-api"
    brokers: tuple[str, ...] = ("localhost:9092",)
    connection_timeout_ms: int = 3000
    request_timeout_ms: int = 30000
    global_enabled: bool = False
    topic_prefix: str = "evolution"
    num_partitions: int = 1
    replication_factor: int = 1
    auto_create_topics: bool = False
    global_events: frozenset[str] = frozenset()
    sasl_mechanism: str | None = None  # PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512 when KAFKA_SASL_ENABLED
    sasl_username: str = ""
    sasl_password: str = ""
    ssl_enabled: bool = False
    ssl_reject_unauthorized: bool = True
    ssl_ca: str | None = None  # PEM text, as upstream passes it to Node's TLS
    ssl_key: str | None = None
    ssl_cert: str | None = None
    # Ours: upstream's producer is always idempotent; a broker without InitProducerId support (some
    # Kafka-protocol servers) needs it off.
    idempotent: bool = True

    def instance_topic(self, instance: str, wire_name: str) -> str:
        return f"{self.topic_prefix}.{instance}.{wire_name.lower().replace('_', '.')}"

    def global_topic(self, wire_name: str) -> str:
        return f"{self.topic_prefix}.global.{wire_name.lower().replace('_', '.')}"

    @property
    def security_protocol(self) -> str:
        if self.sasl_mechanism:
            return "SASL_SSL" if self.ssl_enabled else "SASL_PLAINTEXT"
        return "SSL" if self.ssl_enabled else "PLAINTEXT"


def load_kafka_settings(env: Env) -> KafkaSettings:
    mechanism = None
    if env.flag("KAFKA_SASL_ENABLED", False):
        name = env.text("KAFKA_SASL_MECHANISM", "plain").lower()
        if name not in SASL_MECHANISMS:
            raise ConfigError(f"KAFKA_SASL_MECHANISM: expected one of {', '.join(SASL_MECHANISMS)}, got {name!r}")
        mechanism = SASL_MECHANISMS[name]
    brokers = tuple(env.csv("KAFKA_BROKERS", ["localhost:9092"]))
    if env.flag("KAFKA_ENABLED", False) and not brokers:
        raise ConfigError("KAFKA_BROKERS: at least one host:port is required")
    return KafkaSettings(
        enabled=env.flag("KAFKA_ENABLED", False),
        client_id=env.text("KAFKA_CLIENT_ID", "evolution-api"),
        brokers=brokers,
        connection_timeout_ms=env.integer("KAFKA_CONNECTION_TIMEOUT", 3000, minimum=1),
        request_timeout_ms=env.integer("KAFKA_REQUEST_TIMEOUT", 30000, minimum=1),
        global_enabled=env.flag("KAFKA_GLOBAL_ENABLED", False),
        topic_prefix=env.text("KAFKA_TOPIC_PREFIX", "evolution"),
        num_partitions=env.integer("KAFKA_NUM_PARTITIONS", 1, minimum=1),
        replication_factor=env.integer("KAFKA_REPLICATION_FACTOR", 1, minimum=1),
        auto_create_topics=env.flag("KAFKA_AUTO_CREATE_TOPICS", False),
        global_events=frozenset(key for key in GLOBAL_EVENT_KEYS if env.flag(global_env_name("KAFKA", key))),
        sasl_mechanism=mechanism,
        sasl_username=env.text("KAFKA_SASL_USERNAME", ""),
        sasl_password=env.text("KAFKA_SASL_PASSWORD", ""),
        ssl_enabled=env.flag("KAFKA_SSL_ENABLED", False),
        ssl_reject_unauthorized=env.text("KAFKA_SSL_REJECT_UNAUTHORIZED", "true").lower() != "false",
        ssl_ca=env.raw("KAFKA_SSL_CA") or None,
        ssl_key=env.raw("KAFKA_SSL_KEY") or None,
        ssl_cert=env.raw("KAFKA_SSL_CERT") or None,
        idempotent=env.flag("KAFKA_IDEMPOTENT", True),
    )
