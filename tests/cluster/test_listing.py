"""Go's `GET /instance/all` merged from every node's list (cluster/listing.py): one list in a single
node's order (oldest first, then by name, no time first), an instance met twice listed once, and an
answer that is not a success list refused."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
import pytest

from evolution_py.cluster.listing import ListingError, merge_lists


def _list(*items: Mapping[str, object]) -> bytes:
    return msgspec.json.encode({"message": "success", "data": list(items)})


def test_lists_merge_in_a_single_node_s_order() -> None:
    a = {"id": "1", "name": "b", "createdAt": "2026-12-04T10:00:00Z"}
    b = {"id": "2", "name": "a", "createdAt": "2026-12-04T10:00:00Z"}
    c = {"id": "3", "name": "z", "createdAt": None}
    d = {"id": "4", "name": "c", "createdAt": "2026-12-03T09:00:00Z"}
    moving = {**a, "status": "connecting"}  # the same instance, seen on the node it moves to
    merged = msgspec.json.decode(merge_lists([_list(a, d), _list(b, c, moving), _list()]))
    assert list(merged) == ["message", "data"] and merged["message"] == "success"
    assert [item["id"] for item in merged["data"]] == ["3", "4", "2", "1"]
    assert merged["data"][3] == a  # the first answer's copy


@pytest.mark.parametrize("body", [b"not json", b'{"error":"not authorized"}', b"[]"])
def test_an_answer_that_is_not_a_list_is_refused(body: bytes) -> None:
    with pytest.raises(ListingError):
        merge_lists([_list(), body])
