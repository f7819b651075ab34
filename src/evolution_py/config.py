"""Environment → typed settings, by Evolution API's own variable names.

Every module that owns variables parses them here, with the same strict parsers, so a
malformed value fails at start with a message naming the variable (never later, mid-request).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec

from evolution_py import __version__


class ConfigError(ValueError):
    """A variable is malformed; the message names it."""


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class Env:
    """A read-only view of the environment (process env over an optional .env file)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def raw(self, name: str) -> str | None:
        value = self._values.get(name)
        return None if value is None else value.strip()

    def text(self, name: str, default: str = "") -> str:
        value = self.raw(name)
        return default if value is None or value == "" else value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None or value == "":
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{name}: expected true or false, got {value!r}")

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name}: expected an integer, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise ConfigError(f"{name}: must be at least {minimum}, got {number}")
        return number

    def number(self, name: str, default: float) -> float:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{name}: expected a number, got {value!r}") from None

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if value.lower() not in choices:
            raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
        return value.lower()

    def csv(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self.raw(name)
        if value is None or value == "":
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def items(self) -> list[tuple[str, str]]:
        return list(self._values.items())


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a .env file: KEY=VALUE lines, # comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :]
        if "=" not in stripped:
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        key, value = stripped.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


class Settings(msgspec.Struct, kw_only=True):
    version: str = __version__
    server_port: int = 8080
    server_url: str = ""
    api_key: str = ""
    api_key_generated: bool = False
    # AUTHENTICATION_API_KEY is a known default or too short, and AUTHENTICATION_API_KEY_ALLOW_WEAK
    # let it through: the start-up log warns about it.
    api_key_weak: bool = False
    expose_in_fetch_instances: bool = False
    database_provider: str = "sqlite"
    database_url: str = ""
    client_name: str = "evolution"
    save_data_instance: bool = True
    save_new_message: bool = True
    save_contacts: bool = True
    save_chats: bool = True
    # Where WhatsApp Web (whatsmeow) sessions live: "file" (a SQLite file per instance in DATA_DIR)
    # or "postgresql" (a schema per instance in the main database, so another node can resume it).
    whatsmeow_session_store: str = "file"
    # The lib/pq DSN (password included: never log it) the PostgreSQL session store hands neonize.
    whatsmeow_session_dsn: str = ""
    # PostgreSQL ends a session connection idle this long (0: never); see pg_sessions.prepare().
    whatsmeow_session_db_idle_seconds: int = 300
    del_instance_minutes: float | None = None
    qrcode_limit: int = 30
    qrcode_color: str = "#198754"
    session_phone_client: str = "Evolution API"
    session_phone_name: str = "Chrome"
    log_level: str = "info"
    cors_origins: list[str] = msgspec.field(default_factory=lambda: ["*"])
    data_dir: str = "./data"
    executor_threads: int = 64
    # `POST /webhook/evolution` asks for the instance's token (or the global key) unless false.
    evolution_webhook_require_apikey: bool = True
    server_max_inflight: int = 512
    gc_freeze: bool = True  # SERVER_GC_FREEZE: the start-up heap out of the collector (ops/heap.py)
    instance_max_inflight: int = 256
    backpressure_retry_after: int = 1
    server_max_wait_ms: int = 0
    env: Env = msgspec.field(default_factory=lambda: Env({}))


# Upstream's LOG_LEVEL is a comma list of categories (ERROR,WARN,DEBUG,INFO,LOG,VERBOSE,DARK,WEBHOOKS,
# WEBSOCKET); an existing .env must keep working, so we accept it and log at its most verbose level.
_LOG_TOKENS = {
    "VERBOSE": "debug",
    "DEBUG": "debug",
    "DARK": "info",
    "WEBHOOKS": "info",
    "WEBSOCKET": "info",
    "LOG": "info",
    "INFO": "info",
    "WARN": "warning",
    "WARNING": "warning",
    "ERROR": "error",
    "CRITICAL": "critical",
}
_LEVEL_ORDER = ["debug", "info", "warning", "error", "critical"]


def _log_level(env: Env) -> str:
    tokens = env.csv("LOG_LEVEL", ["INFO"])
    levels = []
    for token in tokens:
        level = _LOG_TOKENS.get(token.upper())
        if level is None:
            raise ConfigError(f"LOG_LEVEL: unknown level {token!r} (use {', '.join(_LOG_TOKENS)})")
        levels.append(level)
    return min(levels, key=_LEVEL_ORDER.index) if levels else "info"


def _database_url(provider: str, uri: str, data_dir: Path) -> str:
    """Turn DATABASE_CONNECTION_URI into an SQLAlchemy async URL."""
    if provider == "sqlite":
        if not uri:
            return f"sqlite+aiosqlite:///{(data_dir / 'evolution.db').as_posix()}"
        if uri.startswith("sqlite+aiosqlite://"):
            return uri
        if uri.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + uri[len("sqlite://") :]
        if uri.startswith("file:"):
            return "sqlite+aiosqlite:///" + uri[len("file:") :]
        raise ConfigError(f"DATABASE_CONNECTION_URI: expected sqlite:///path for DATABASE_PROVIDER=sqlite, got {uri!r}")
    if not uri:
        raise ConfigError(f"DATABASE_CONNECTION_URI: required when DATABASE_PROVIDER={provider}")
    if provider == "mysql":
        return _mysql_url(uri)
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if uri.startswith(prefix):
            rest = uri[len(prefix) :]
            # Prisma-style ?schema=public is not a libpq/asyncpg parameter.
            if "?" in rest:
                base, _, query = rest.partition("?")
                kept = [p for p in query.split("&") if p and not p.startswith("schema=")]
                rest = base + ("?" + "&".join(kept) if kept else "")
            if provider == "psql_bouncer":
                # PgBouncer in transaction mode hands each transaction any server connection: no
                # statement may stay prepared beyond its transaction (store/db.py reads this).
                rest += ("&" if "?" in rest else "?") + "prepared_statement_cache_size=0"
            return "postgresql+asyncpg://" + rest
    raise ConfigError(
        f"DATABASE_CONNECTION_URI: expected postgresql://... for DATABASE_PROVIDER={provider}, got {uri!r}"
    )


# lib/pq (neonize's Go driver) sends any query parameter it does not know to the server as a run-time
# setting, so Prisma's `schema=`, `connection_limit=`, ... would fail the connection: only these pass.
_LIBPQ_PARAMS = ("sslmode", "sslcert", "sslkey", "sslrootcert", "connect_timeout", "application_name", "host")


WHATSMEOW_APPLICATION_NAME = "evolution-py-whatsmeow"


def _whatsmeow_dsn(uri: str) -> str:
    """DATABASE_CONNECTION_URI as the DSN neonize's Go side understands (`postgres://...`).

    lib/pq's default `sslmode` is `require`, which fails on a server without TLS where asyncpg (the
    rest of the app) connects with libpq's default `prefer`; so `prefer` unless the URI says."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if uri.startswith(prefix):
            base, _, query = uri[len(prefix) :].partition("?")
            kept = [p for p in query.split("&") if p and p.split("=", 1)[0] in _LIBPQ_PARAMS]
            if not any(p.startswith("sslmode=") for p in kept):
                kept.append("sslmode=prefer")
            if not any(p.startswith("application_name=") for p in kept):
                kept.append(f"application_name={WHATSMEOW_APPLICATION_NAME}")  # pg_stat_activity shows whose
            return "postgres://" + base + "?" + "&".join(kept)
    raise ConfigError("DATABASE_CONNECTION_URI: expected postgresql://... for WHATSMEOW_SESSION_STORE=postgresql")


def _session_store(env: Env, provider: str) -> tuple[str, str]:
    """WHATSMEOW_SESSION_STORE (postgresql when the database is PostgreSQL, file otherwise) and its DSN."""
    on_postgres = provider in ("postgresql", "psql_bouncer")
    store = env.choice("WHATSMEOW_SESSION_STORE", "postgresql" if on_postgres else "file", ("postgresql", "file"))
    if store == "file":
        return store, ""
    if not on_postgres:
        raise ConfigError(f"WHATSMEOW_SESSION_STORE=postgresql needs DATABASE_PROVIDER=postgresql (is {provider})")
    # PgBouncer refuses the `search_path` start-up parameter each session needs, and a whatsmeow
    # client keeps its connections for its whole life: the direct URI, like upstream's migrations.
    uri = env.text("DATABASE_CONNECTION_URI") or env.text("DATABASE_BOUNCER_CONNECTION_URI")
    return store, _whatsmeow_dsn(uri)


def _mysql_url(uri: str) -> str:
    """mysql://user:password@host:3306/db (upstream's Prisma form) as an asyncmy URL in utf8mb4."""
    for prefix in ("mysql+asyncmy://", "mysql://", "mariadb://"):
        if uri.startswith(prefix):
            base, _, query = uri[len(prefix) :].partition("?")
            # Prisma's own parameters mean nothing to the driver; the connection is always utf8mb4.
            prisma = ("schema=", "connection_limit=", "pool_timeout=", "sslaccept=", "socket_timeout=", "charset=")
            kept = [p for p in query.split("&") if p and not p.startswith(prisma)]
            return "mysql+asyncmy://" + base + "?" + "&".join(["charset=utf8mb4", *kept])
    raise ConfigError(f"DATABASE_CONNECTION_URI: expected mysql://... for DATABASE_PROVIDER=mysql, got {uri!r}")


# Keys published in upstream's examples and docs, and placeholders people leave in: anyone can try them.
KNOWN_DEFAULT_KEYS = frozenset(
    {
        "429683C4C977415CAAFCCE10F7D57E11",
        "B6D711FCDE4D4FD5936544120E713976",
        "BQYHJGJHJ",
        "change-me",
        "changeme",
        "change_me",
        "changethis",
        "secret",
        "apikey",
        "api-key",
        "your-api-key",
        "password",
    }
)
MIN_API_KEY_LENGTH = 16


def weak_key_reason(key: str) -> str | None:
    """Why a global key is easy to guess (a published default or too short), or None."""
    if key.strip().lower() in {k.lower() for k in KNOWN_DEFAULT_KEYS}:
        return "is a published example or placeholder value"
    if len(key) < MIN_API_KEY_LENGTH:
        return f"is shorter than {MIN_API_KEY_LENGTH} characters"
    return None


def _check_api_key(env: Env, key: str) -> bool:
    """Refuse a weak AUTHENTICATION_API_KEY unless AUTHENTICATION_API_KEY_ALLOW_WEAK; True if weak."""
    reason = weak_key_reason(key)
    if reason is None:
        return False
    if not env.flag("AUTHENTICATION_API_KEY_ALLOW_WEAK", False):
        raise ConfigError(
            f"AUTHENTICATION_API_KEY {reason}: anyone could guess it. Set a long random key "
            "(e.g. `openssl rand -hex 32`), or leave it unset to have one generated; "
            "AUTHENTICATION_API_KEY_ALLOW_WEAK=true starts anyway (not for a server others can reach)"
        )
    return True


def _load_or_create_api_key(data_dir: Path) -> tuple[str, bool]:
    key_file = data_dir / "api-key"
    if key_file.is_file():
        key = key_file.read_text(encoding="utf-8").strip()
        if key:
            return key, False
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    key_file.write_text(key + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    return key, True


def load_settings(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Read settings from `environ` (default: os.environ) over an optional .env file."""
    values: dict[str, str] = {}
    if dotenv is not None:
        values.update(read_dotenv(dotenv))
    values.update(os.environ if environ is None else environ)
    env = Env(values)

    data_dir = Path(env.text("DATA_DIR", "./data"))
    provider = env.choice("DATABASE_PROVIDER", "sqlite", ("sqlite", "postgresql", "postgres", "psql_bouncer", "mysql"))
    provider = "postgresql" if provider == "postgres" else provider
    uri = env.text("DATABASE_CONNECTION_URI")
    if provider == "psql_bouncer":
        # Upstream's psql_bouncer schema connects through DATABASE_BOUNCER_CONNECTION_URI and keeps
        # DATABASE_CONNECTION_URI for Prisma's migrations; ours run through the bouncer as well.
        uri = env.text("DATABASE_BOUNCER_CONNECTION_URI") or uri
    database_url = _database_url(provider, uri, data_dir)
    session_store, session_dsn = _session_store(env, provider)

    del_raw = env.text("DEL_INSTANCE", "false").lower()
    if del_raw == "false":
        del_minutes = None
    else:
        del_minutes = env.number("DEL_INSTANCE", 0.0)
        if del_minutes <= 0:
            raise ConfigError(f"DEL_INSTANCE: expected false or a positive number of minutes, got {del_raw!r}")

    color = env.text("QRCODE_COLOR", "#198754")
    if not (len(color) in (4, 7) and color.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in color[1:])):
        raise ConfigError(f"QRCODE_COLOR: expected a #rrggbb colour, got {color!r}")

    api_key = env.text("AUTHENTICATION_API_KEY")
    generated = False
    weak = False
    if api_key:
        weak = _check_api_key(env, api_key)
    else:
        api_key, generated = _load_or_create_api_key(data_dir)

    return Settings(
        server_port=env.integer("SERVER_PORT", 8080, minimum=0),
        server_url=env.text("SERVER_URL").rstrip("/"),
        api_key=api_key,
        api_key_generated=generated,
        api_key_weak=weak,
        expose_in_fetch_instances=env.flag("AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES", False),
        database_provider=provider,
        database_url=database_url,
        client_name=env.text("DATABASE_CONNECTION_CLIENT_NAME", "evolution"),
        save_data_instance=env.flag("DATABASE_SAVE_DATA_INSTANCE", True),
        save_new_message=env.flag("DATABASE_SAVE_DATA_NEW_MESSAGE", True),
        save_contacts=env.flag("DATABASE_SAVE_DATA_CONTACTS", True),
        save_chats=env.flag("DATABASE_SAVE_DATA_CHATS", True),
        whatsmeow_session_store=session_store,
        whatsmeow_session_dsn=session_dsn,
        whatsmeow_session_db_idle_seconds=env.integer("WHATSMEOW_SESSION_DB_IDLE_SECONDS", 300, minimum=0),
        del_instance_minutes=del_minutes,
        qrcode_limit=env.integer("QRCODE_LIMIT", 30, minimum=1),
        qrcode_color=color,
        session_phone_client=env.text("CONFIG_SESSION_PHONE_CLIENT", "Evolution API"),
        session_phone_name=env.text("CONFIG_SESSION_PHONE_NAME", "Chrome"),
        log_level=_log_level(env),
        cors_origins=env.csv("CORS_ORIGIN", ["*"]),
        data_dir=str(data_dir),
        executor_threads=env.integer("EXECUTOR_THREADS", 64, minimum=8),
        evolution_webhook_require_apikey=env.flag("EVOLUTION_WEBHOOK_REQUIRE_APIKEY", True),
        # ops/backpressure.py: requests in flight past which a request is answered 503 (0: no bound)
        server_max_inflight=env.integer("SERVER_MAX_INFLIGHT", 512, minimum=0),
        gc_freeze=env.flag("SERVER_GC_FREEZE", True),
        instance_max_inflight=env.integer("INSTANCE_MAX_INFLIGHT", 256, minimum=0),
        backpressure_retry_after=env.integer("SERVER_BUSY_RETRY_AFTER", 1, minimum=1),
        server_max_wait_ms=env.integer("SERVER_MAX_WAIT_MS", 0, minimum=0),
        env=env,
    )
