"""The JSON-Schema subset and upstream's `jsonschema` 1.5 messages."""

from __future__ import annotations

from evolution_py.dto.group import CREATE_SCHEMA, GROUP_JID_SCHEMA, TOGGLE_EPHEMERAL_SCHEMA
from evolution_py.dto.jsonschema import not_empty, validate


def messages(data: object, schema: dict) -> list[str]:  # type: ignore[type-arg]
    return [issue.message for issue in validate(data, schema)]


def test_messages_match_the_library() -> None:
    assert messages({"groupJid": "x@g.us"}, GROUP_JID_SCHEMA) == ['groupJid does not match pattern "^[\\\\d-]+@g.us$"']
    assert messages([], GROUP_JID_SCHEMA) == ["instance is not of a type(s) object"]
    assert messages({"expiration": True, "groupJid": "1"}, TOGGLE_EPHEMERAL_SCHEMA) == [
        "expiration is not of a type(s) number",
        "expiration is not one of enum values: 0,86400,604800,7776000",
    ]
    assert messages({"expiration": 86400.0, "groupJid": "1"}, TOGGLE_EPHEMERAL_SCHEMA) == []
    assert messages({"subject": "s", "participants": ["1", "1"]}, CREATE_SCHEMA) == [
        "participants contains duplicate item",
        '"participants" must be an array of numeric strings',
        '"participants" must be an array of numeric strings',
    ]


def test_not_empty_applies_only_without_other_keys() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, **not_empty("name")}
    assert messages({"name": ""}, schema) == ['The "name" cannot be empty']
    assert messages({"name": "", "other": 1}, schema) == []
    assert messages({}, schema) == []


def test_group_item_form() -> None:
    issue = validate({"participants": [5]}, CREATE_SCHEMA)
    assert [i.as_group_item() for i in issue] == [
        {"property": "participants[0]", "message": '"participants" must be an array of numeric strings'},
        {"property": "instance", "message": 'instance requires property "subject"'},
    ]
