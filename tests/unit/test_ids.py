import uuid

from evolution_py.ids import uuid4_hex


def test_ids_are_version_4_uuids_in_hex_and_do_not_repeat() -> None:
    ids = [uuid4_hex() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(value)
        assert (parsed.hex, parsed.version, parsed.variant) == (value, 4, uuid.RFC_4122)
