"""msgspec request and response bodies, and the small helpers that shape plain JSON values."""

from __future__ import annotations

from typing import Any


def drop_none(values: dict[str, Any]) -> dict[str, Any]:
    """The object without its null members (upstream leaves unset fields out)."""
    return {k: v for k, v in values.items() if v is not None}
