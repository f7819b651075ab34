"""WHATSMEOW_SESSION_STORE: where WhatsApp Web sessions live, and the DSN neonize's Go side gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from evolution_py.channels.whatsapp_web.pg_sessions import schema_name, session_dsn
from evolution_py.config import ConfigError, Settings, load_settings

KEY = "unit-test-key-0123456789"


def _settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings(environ={"DATA_DIR": str(tmp_path), "AUTHENTICATION_API_KEY": KEY, **env})


def test_file_on_sqlite_and_mysql_postgresql_on_postgresql(tmp_path: Path) -> None:
    assert _settings(tmp_path).whatsmeow_session_store == "file"
    mysql = _settings(tmp_path, DATABASE_PROVIDER="mysql", DATABASE_CONNECTION_URI="mysql://root@db:3306/evo")
    assert (mysql.whatsmeow_session_store, mysql.whatsmeow_session_dsn) == ("file", "")
    pg = _settings(
        tmp_path, DATABASE_PROVIDER="postgresql", DATABASE_CONNECTION_URI="postgresql://u:pw@db:5432/evo?schema=public"
    )
    assert pg.whatsmeow_session_store == "postgresql"
    # Prisma's schema= would be sent to the server as a setting by lib/pq and refused; TLS as asyncpg does it
    assert (
        pg.whatsmeow_session_dsn == "postgres://u:pw@db:5432/evo?sslmode=prefer&application_name=evolution-py-whatsmeow"
    )
    kept = _settings(
        tmp_path,
        DATABASE_PROVIDER="postgresql",
        DATABASE_CONNECTION_URI="postgres://u@db/evo?sslmode=verify-full&connection_limit=5&application_name=evo",
        WHATSMEOW_SESSION_STORE="file",
    )
    assert (kept.whatsmeow_session_store, kept.whatsmeow_session_dsn) == ("file", "")


def test_the_dsn_keeps_what_lib_pq_understands(tmp_path: Path) -> None:
    pg = _settings(
        tmp_path,
        DATABASE_PROVIDER="postgresql",
        DATABASE_CONNECTION_URI="postgres://u@db/evo?sslmode=verify-full&connection_limit=5&application_name=evo",
    )
    assert pg.whatsmeow_session_dsn == "postgres://u@db/evo?sslmode=verify-full&application_name=evo"


def test_behind_pgbouncer_the_sessions_use_the_direct_uri(tmp_path: Path) -> None:
    bouncer = _settings(
        tmp_path,
        DATABASE_PROVIDER="psql_bouncer",
        DATABASE_CONNECTION_URI="postgresql://u@db:5432/evo",
        DATABASE_BOUNCER_CONNECTION_URI="postgresql://u@bouncer:6432/evo",
    )
    assert "bouncer" in bouncer.database_url
    assert bouncer.whatsmeow_session_dsn.startswith("postgres://u@db:5432/evo?sslmode=prefer&")


def test_postgresql_sessions_need_a_postgresql_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="WHATSMEOW_SESSION_STORE=postgresql needs DATABASE_PROVIDER=postgresql"):
        _settings(tmp_path, WHATSMEOW_SESSION_STORE="postgresql")
    with pytest.raises(ConfigError, match="WHATSMEOW_SESSION_STORE"):
        _settings(tmp_path, WHATSMEOW_SESSION_STORE="redis")


def test_schema_names_are_per_instance_and_never_shared() -> None:
    a = schema_name("6f1c0e36-1d5b-4bb8-9d0c-2f4f0b4c7d11")
    assert a == "wa_6f1c0e361d5b4bb89d0c2f4f0b4c7d11"
    assert schema_name("6f1c0e36-1d5b-4bb8-9d0c-2f4f0b4c7d11") == a  # one instance, one schema
    assert schema_name("7f1c0e36-1d5b-4bb8-9d0c-2f4f0b4c7d11") != a
    # ids that would map onto the same name by case or spelling stay apart (hashed instead)
    others = ["6F1C0E36-1D5B-4BB8-9D0C-2F4F0B4C7D11", "6f1c0e361d5b4bb89d0c2f4f0b4c7d11", "ABC", "abc"]
    names = {schema_name(i) for i in others} | {a}
    assert len(names) == 5
    for odd in [*others, 'x"; DROP SCHEMA public; --', "é" * 100]:
        name = schema_name(odd)
        assert name.startswith("wa_h_") and name[5:].isalnum() and name.isascii() and len(name) <= 63
    assert session_dsn("postgres://u@db/evo?sslmode=prefer", a) == f"postgres://u@db/evo?sslmode=prefer&search_path={a}"
