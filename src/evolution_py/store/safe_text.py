"""Outside text made safe for both databases before it is stored.

What the outside world hands us (message text, push names, chat names, error bodies of webhook
receivers) can hold characters one of our databases refuses, and one refused value used to cost
far more than its own row (a NUL in a receiver's answer stalled every tenant's deliveries):

- NUL (U+0000): PostgreSQL `text`/`varchar` refuse it, and `jsonb` refuses the `\\u0000` escape.
- Lone surrogates (U+D800..U+DFFF): no UTF-8 encoding exists, so asyncpg and sqlite3 both fail to
  send them, and `jsonb` refuses their escapes. They become U+FFFD, as a decoder would make them.
- Length: PostgreSQL enforces `varchar(n)`, SQLite does not; a value cut here fits both.
"""

from __future__ import annotations

import re
from typing import TypeVar, cast

import msgspec

_UNSAFE = re.compile("[\x00\ud800-\udfff]")
# Control characters (C0 except space, DEL, C1) and line/paragraph separators: harmless in a
# database, but not in a one-line reason shown in logs and listings (CR/LF, terminal escapes).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

T = TypeVar("T")

_encoder = msgspec.json.Encoder()


def _replace(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"


def safe_text(value: str, limit: int | None = None) -> str:
    """`value` without NUL, lone surrogates as U+FFFD, at most `limit` characters."""
    if not isinstance(value, str):
        return value  # a caller's untyped data (a number as a message id): its column decides
    if _UNSAFE.search(value) is not None:
        value = _UNSAFE.sub(_replace, value)
    if limit is not None and len(value) > limit:
        value = value[:limit]
    return value


def safe_optional(value: str | None, limit: int | None = None) -> str | None:
    return None if value is None else safe_text(value, limit)


def safe_json(value: T) -> T:
    """A JSON-shaped value (dicts, lists, strings, ...) with every string, keys included, made
    safe; other values are returned as they are, and so is every container nothing changed in.

    Nearly every value is already safe: one JSON encoding says so (a lone surrogate cannot be
    encoded, a NUL shows as its escape) in a tenth of the time of the walk, which runs only when
    it cannot (issue 22: a message's key, content and context were walked on every message)."""
    try:
        encoded = _encoder.encode(value)
    except (UnicodeEncodeError, TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return cast(T, _clean(value)[0])  # not encodable as JSON as it is: the walk decides
    if b"\\u0000" not in encoded:
        return value
    return cast(T, _clean(value)[0])


def _clean(value: object) -> tuple[object, bool]:
    """(the safe value, whether it differs): one walk, and no copy of what is already clean."""
    if isinstance(value, str):
        if _UNSAFE.search(value) is None:
            return value, False
        return safe_text(value), True
    if isinstance(value, dict):
        items = [(_clean(k), _clean(v)) for k, v in value.items()]
        if not any(k[1] or v[1] for k, v in items):
            return value, False
        return {k[0]: v[0] for k, v in items}, True
    if isinstance(value, list | tuple):
        cleaned = [_clean(item) for item in value]
        if not any(changed for _item, changed in cleaned):
            return value, False
        return type(value)(item for item, _changed in cleaned), True
    return value, False


def short_reason(raw: bytes, limit: int = 200) -> str:
    """A one-line, printable prefix of an answer body from outside: at most `limit` characters,
    control characters and runs of white space as one space, cut with an ellipsis."""
    text = raw[: limit * 4].decode("utf-8", errors="replace")
    text = " ".join(_CONTROL.sub(" ", safe_text(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def safe_url(value: str | None, limit: int) -> str | None:
    """A URL made safe, or None when it does not fit: a URL cut short points somewhere else."""
    if value is None:
        return None
    value = safe_text(value)
    return value if len(value) <= limit else None
