"""The Go dialect's `GET /instance/all` across nodes: each node lists the instances it holds, with
their live connection state (api/go/admin.py), so the node that is asked gathers every live node's
list (cluster/routing.py) and merges them here into the one list a single node would give."""

from __future__ import annotations

from typing import Any

import msgspec

GO_LIST_PATH = "/instance/all"


class ListingError(Exception):
    """An answer that is not a Go success list."""


def merge_lists(bodies: list[bytes]) -> bytes:
    """`{"message":"success","data":[...]}` of every node → one, ordered as a single node orders it
    (oldest first, then by name; an instance met twice, moving between nodes, is listed once)."""
    items: dict[str, dict[str, Any]] = {}
    for body in bodies:
        try:
            answer = msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            raise ListingError("not JSON") from exc
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise ListingError("no data list")
        for item in data:
            if isinstance(item, dict):
                items.setdefault(str(item.get("id")), item)
    # createdAt is an ISO time to the second ("" for none: first, as datetime.min on one node).
    ordered = sorted(items.values(), key=lambda i: (str(i.get("createdAt") or ""), str(i.get("name") or "")))
    return msgspec.json.encode({"message": "success", "data": ordered})
