from pathlib import Path

import pytest

from evolution_py.config import ConfigError, load_settings

KEY = "unit-test-key-0123456789"


def test_defaults_are_the_embedded_server(tmp_path: Path) -> None:
    settings = load_settings(environ={"DATA_DIR": str(tmp_path)})
    assert settings.server_port == 8080
    assert settings.database_provider == "sqlite"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/evolution.db"
    assert settings.qrcode_limit == 30 and settings.qrcode_color == "#198754"
    assert settings.del_instance_minutes is None
    assert settings.client_name == "evolution"


def test_generated_key_is_strong_kept_and_reused(tmp_path: Path) -> None:
    first = load_settings(environ={"DATA_DIR": str(tmp_path)})
    assert first.api_key_generated and len(first.api_key) >= 40
    assert first.api_key != "BQYHJGJHJ"
    assert (tmp_path / "api-key").stat().st_mode & 0o077 == 0
    second = load_settings(environ={"DATA_DIR": str(tmp_path)})
    assert second.api_key == first.api_key and not second.api_key_generated
    explicit = load_settings(environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": KEY})
    assert explicit.api_key == KEY


def test_upstream_values_are_understood(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "DATA_DIR": str(tmp_path),
            "AUTHENTICATION_API_KEY": KEY,
            "DATABASE_PROVIDER": "postgresql",
            "DATABASE_CONNECTION_URI": "postgresql://user:pass@db:5432/evolution?schema=evolution_api",
            "LOG_LEVEL": "ERROR,WARN,DEBUG,INFO,LOG,VERBOSE,DARK,WEBHOOKS,WEBSOCKET",
            "DEL_INSTANCE": "5",
            "CORS_ORIGIN": "https://a.example, https://b.example",
            "AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES": "true",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://user:pass@db:5432/evolution"
    assert settings.log_level == "debug"
    assert settings.del_instance_minutes == 5
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.expose_in_fetch_instances is True


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SERVER_PORT": "eighty"}, "SERVER_PORT"),
        ({"DATABASE_PROVIDER": "mysql"}, "DATABASE_PROVIDER"),
        ({"DATABASE_PROVIDER": "postgresql"}, "DATABASE_CONNECTION_URI"),
        ({"DATABASE_CONNECTION_URI": "mysql://x"}, "DATABASE_CONNECTION_URI"),
        ({"QRCODE_LIMIT": "0"}, "QRCODE_LIMIT"),
        ({"QRCODE_COLOR": "green"}, "QRCODE_COLOR"),
        ({"DEL_INSTANCE": "soon"}, "DEL_INSTANCE"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES": "maybe"}, "AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES"),
    ],
)
def test_malformed_values_fail_naming_the_variable(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": KEY, **env})


def test_dotenv_is_read_under_the_environment(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nSERVER_PORT=9000\nexport SERVER_URL="http://x:9000/"\nQRCODE_LIMIT=5\n')
    settings = load_settings(
        environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": KEY, "QRCODE_LIMIT": "7"}, dotenv=dotenv
    )
    assert settings.server_port == 9000 and settings.server_url == "http://x:9000"
    assert settings.qrcode_limit == 7


@pytest.mark.parametrize(
    "key",
    [
        "429683C4C977415CAAFCCE10F7D57E11",
        "B6D711FCDE4D4FD5936544120E713976",
        "change-me",
        "CHANGEME",
        "k",
        "15-characters!!",
    ],
)
def test_known_or_short_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError, match="AUTHENTICATION_API_KEY") as refused:
        load_settings(environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": key})
    assert "AUTHENTICATION_API_KEY_ALLOW_WEAK" in str(refused.value)
    allowed = load_settings(
        environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": key, "AUTHENTICATION_API_KEY_ALLOW_WEAK": "true"}
    )
    assert allowed.api_key == key and allowed.api_key_weak


def test_a_long_random_key_is_not_weak(tmp_path: Path) -> None:
    settings = load_settings(environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": "16-characters!!!"})
    assert not settings.api_key_weak
