"""The redaction rules of `logsafe` (docs/security.md, "Logs"), one line each."""

from __future__ import annotations

import io
import logging

import pytest
from uvicorn.logging import AccessFormatter

from evolution_py import logsafe

TOKEN = "1FCE3463-2C06-40AF-A948-EFBD334C54CB"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /x?apikey=abc123&a=1 HTTP/1.1", "GET /x?apikey=***&a=1 HTTP/1.1"),
        ("GET /x?a=1&token=t0k3n", "GET /x?a=1&token=***"),
        ("POST /hook?hub.verify_token=s3cret", "POST /hook?hub.verify_token=***"),
        ("to https://user:pa55@host:1/p failed", "to https://user:***@host:1/p failed"),
        ("amqp://guest:guest@rabbit:5672/", "amqp://guest:***@rabbit:5672/"),
        ("https://host/p?email=a@b.c", "https://host/p?email=a@b.c"),
        ('{"apikey": "abc", "number": "55"}', '{"apikey": "***", "number": "55"}'),
        ("{'password': 'p@ss w', 'host': 'h'}", "{'password': '***', 'host': 'h'}"),
        ('{"hash":"X","accessToken":"Y","apiKey":"Z"}', '{"hash":"***","accessToken":"***","apiKey":"***"}'),
        ('{"key": {"remoteJid": "1@s"}, "token": null}', '{"key": {"remoteJid": "1@s"}, "token": null}'),
        ("[(b'apikey', b'abc'), (b'host', b'h')]", "[(b'apikey', b'***'), (b'host', b'h')]"),
        ("Authorization: Bearer abc.def", "Authorization: ***"),
        ("sent with Bearer abc.def-ghi", "sent with Bearer ***"),
        (f"instance {TOKEN} connected", "instance *** connected"),
        ("nothing secret here: 42 messages", "nothing secret here: 42 messages"),
    ],
)
def test_redact(line: str, expected: str) -> None:
    logsafe.remember(TOKEN)
    assert logsafe.redact(line) == expected


def test_short_values_are_not_remembered() -> None:
    logsafe.remember("evol")
    assert logsafe.redact("evolution evol") == "evolution evol"


def test_the_filter_keeps_uvicorns_access_arguments_in_place() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    handler.addFilter(logsafe.RedactingFilter())
    logger = logging.getLogger("test.logsafe.access")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/x?apikey=abc", "1.1", 200)
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == '127.0.0.1:1 - "GET /x?apikey=*** HTTP/1.1" 200 OK\n'


def test_the_filter_rewrites_objects_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logsafe.RedactingFilter())
    logger = logging.getLogger("test.logsafe.plain")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("failed %s", ValueError("https://u:pw@h/"))
        try:
            raise RuntimeError("token=abc123")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "https://u:***@h/" in out
    assert "token=***" in out
    assert "abc" not in out and "pw@" not in out
