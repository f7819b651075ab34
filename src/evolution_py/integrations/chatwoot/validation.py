"""Upstream's URL rule for the Chatwoot server (class-validator's isURL with `require_tld: false`)."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_url(value: str | None) -> bool:
    """http(s) or no scheme, a host, no spaces, a numeric port if any."""
    if not value or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value if "://" in value else f"http://{value}")
        _port = parts.port  # raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


MAX_DAYS = 36500


def days_problem(days: float | None) -> str | None:
    """Ours: the column is an integer; upstream lets any number through to a database error."""
    if days is None or 0 <= days <= MAX_DAYS:
        return None
    return f"daysLimitImportMessages must be between 0 and {MAX_DAYS}"
