"""Secrets never reach a log line (docs/security.md, "Logs"): a filter on every handler rewrites each
record's message, arguments and traceback before it is formatted.

It masks, in any text: credentials in URLs (`scheme://user:***@host`), query and form parameters and
JSON / dict / header fields whose name says secret (`apikey`, `token`, `password`, `secret`,
`authorization`, `hash`, any name ending in `key` or `token`...), `Bearer` / `Basic` credentials, and the
exact values this process knows are secrets: the global key and every instance token it has loaded or
created (`remember`)."""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "***"

# A field name that says "secret": apikey, api_key, x-api-key, accessToken, verify_token, password,
# client_secret, authorization, hash (upstream's name for an instance token in /instance/create).
_NAME = (
    r"[A-Za-z0-9_.-]*(?:key|token|password|passwd|pwd|secret|authorization|credentials?)"
    r"|hash|pass|auth|signature|sig"
)
# scheme://user:password@host -> scheme://user:***@host
_URL_CREDENTIALS = re.compile(r"(://[^/\s:@?#'\"<>]*):[^/\s@?#'\"<>]*@")
# Rules that need one of these words in the (lower-cased) text; most lines have none and skip them.
_HINTS = ("key", "token", "pass", "secret", "auth", "hash", "sig", "pwd", "credential", "cookie", "bearer", "basic")
_RULES: list[tuple[re.Pattern[str], str]] = [
    # ?apikey=...&token=... (query strings, form bodies, key=value log fields)
    (re.compile(rf"(?i)((?<![A-Za-z0-9_.-])(?:{_NAME})=)[^&\s\"',;<>)]+"), rf"\1{MASK}"),
    # "apikey": "...", 'token': '...', "password":"..." (JSON and Python reprs)
    (re.compile(rf"(?i)(([\"'])(?:{_NAME})\2\s*:\s*)([\"'])(?:\\.|(?!\3).)*\3"), rf"\1\3{MASK}\3"),
    (re.compile(rf"(?i)(([\"'])(?:{_NAME})\2\s*:\s*)(?![\"'{{\[]|null|true|false|None)[^\s,}}\]]+"), rf"\1{MASK}"),
    # (b'apikey', b'...') header tuples as ASGI scopes and aiohttp print them
    (re.compile(rf"(?i)(b?([\"'])(?:{_NAME})\2,\s*b?)([\"'])(?:\\.|(?!\3).)*\3"), rf"\1\3{MASK}\3"),
    # apikey: ... / Authorization: ... (header lines)
    (
        re.compile(r"(?im)^(\s*(?:apikey|x-api-key|authorization|proxy-authorization|cookie|set-cookie):\s*).+$"),
        rf"\1{MASK}",
    ),
    # Bearer ..., Basic ...
    (re.compile(r"(?i)\b(Bearer)(\s+)[A-Za-z0-9._~+/=-]{4,}"), rf"\1\2{MASK}"),
    (re.compile(r"\b(Basic)(\s+)[A-Za-z0-9+/]{8,}={0,2}"), rf"\1\2{MASK}"),
]
# Where a remembered secret made of these characters may stand as a whole word.
_WORD = re.compile(r"[A-Za-z0-9_-]{8,}")
_WORD_CHARS = re.compile(r"[A-Za-z0-9_-]+")


class Secrets:
    """Exact values to mask wherever they appear. Word-shaped ones (UUID tokens, hex keys) are found in
    one pass with a set lookup per word, so a thousand tokens cost no more than one."""

    def __init__(self) -> None:
        self._words: set[str] = set()
        self._others: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def remember(self, secret: str | None) -> None:
        if not secret or len(secret) < 8:
            return  # too short to tell from ordinary words; the field rules still mask it
        with self._lock:
            if _WORD_CHARS.fullmatch(secret):
                self._words.add(secret)  # mask() only looks up, never iterates: safe beside it
            elif secret not in self._others:
                self._others = (*self._others, secret)

    def mask(self, text: str) -> str:
        words = self._words
        if words and not words.isdisjoint(_WORD.findall(text)):
            text = _WORD.sub(lambda m: MASK if m.group(0) in words else m.group(0), text)
        for secret in self._others:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


SECRETS = Secrets()


def remember(secret: str | None) -> None:
    """Mask `secret` in every log line from now on (the global key, an instance token)."""
    SECRETS.remember(secret)


def redact(text: str) -> str:
    if "@" in text:
        text = _URL_CREDENTIALS.sub(rf"\1:{MASK}@", text)
    lowered = text.lower()
    if any(hint in lowered for hint in _HINTS):
        for pattern, replacement in _RULES:
            text = pattern.sub(replacement, text)
    return SECRETS.mask(text)


class _Masked:
    """An argument that is neither text nor a number, standing for its redacted str() and repr()."""

    __slots__ = ("_repr", "_str")

    def __init__(self, value: object) -> None:
        self._str = redact(str(value))
        self._repr = redact(repr(value))

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return self._repr


def _safe_arg(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (int, float)):
        return value
    return _Masked(value)


_TRACEBACKS = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Rewrites a record in place; never drops one. Arguments keep their positions (uvicorn's access
    formatter unpacks them), each redacted on its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        record.__dict__["_redacted"] = True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the formatter's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg = redact(str(record.msg))
            args = record.args
            if isinstance(args, tuple):
                record.args = tuple(_safe_arg(arg) for arg in args)
            elif isinstance(args, dict):
                record.args = {key: _safe_arg(value) for key, value in args.items()}
            try:
                rewritten = record.getMessage()
            except Exception:  # noqa: BLE001 - fall back to the redacted text below
                rewritten = message
            if redact(rewritten) != rewritten:
                record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def install() -> None:
    """Put the filter on every handler there is now: the root's and those of named loggers (uvicorn
    configures its own). Call again after anything that adds handlers."""
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers.extend(
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    )
    for logger in loggers:
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
