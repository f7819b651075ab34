"""Timestamps as upstream writes them (a leaf module: events, the store and channels all use it)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(moment: datetime) -> str:
    """`2025-05-01T10:00:00.123Z`: a UTC datetime (aware or naive) as upstream and Prisma write it."""
    # isoformat's first 23 characters are exactly that (an offset, if any, comes after them), in
    # half the time of strftime; and a year before 1000 keeps its four digits, as JavaScript's.
    return moment.isoformat(timespec="milliseconds")[:23] + "Z"


def utc_iso(moment: datetime | None = None) -> str:
    """ISO-8601 in true UTC with milliseconds and `Z`, as upstream writes `date_time` in Docker."""
    return iso_ms((moment or datetime.now(UTC)).astimezone(UTC))
