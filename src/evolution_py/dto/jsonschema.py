"""The subset of JSON Schema upstream's routes use, with the messages of the `jsonschema` 1.5 npm
library upstream validates with, so error bodies match upstream's word for word.

Upstream answers a failure in one of two forms: standard routes (`dataValidate`) send
`[["<message>", ...]]`, group routes (`groupValidate` & co.) send `[{"property", "message"}, ...]`.
Each message is the failing sub-schema's `description` when it has one, else the library's text
with the leading `instance.` removed (root failures keep the word `instance`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]


@dataclass(frozen=True)
class Issue:
    path: str  # `instance`, `instance.subject`, `instance.participants[0]`
    text: str  # the library's message without the property (`does not match pattern "..."`)
    description: str | None

    @property
    def message(self) -> str:
        if self.description:
            return self.description
        return f"{self.path} {self.text}".replace("instance.", "", 1)

    def as_group_item(self) -> dict[str, str]:
        return {"property": self.path.replace("instance.", "", 1), "message": self.message}


def not_empty(*names: str) -> Schema:
    """Upstream's `isNotEmpty`: the listed strings must not be empty, but only when the object has
    no keys other than the listed ones (an `if: {propertyNames: {enum}}` / `then` pair)."""
    return {
        "if": {"propertyNames": {"enum": list(names)}},
        "then": {
            "properties": {name: {"minLength": 1, "description": f'The "{name}" cannot be empty'} for name in names}
        },
    }


def validate(instance: Any, schema: Schema) -> list[Issue]:
    issues: list[Issue] = []
    _validate(instance, schema, "instance", issues)
    return issues


def _js(value: Any) -> str:
    """A value as JavaScript's `String()` prints it inside an array's `toString()`."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if expected == "null":
        return value is None
    return True


def _same(value: Any, allowed: Any) -> bool:
    # JSON equality: `true` is not `1`, `1.0` is `1`.
    if isinstance(value, bool) or isinstance(allowed, bool):
        return type(value) is type(allowed) and value == allowed
    return bool(value == allowed)


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_$][\w$]*", key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def _validate(value: Any, schema: Schema, path: str, issues: list[Issue]) -> None:
    description = schema.get("description")

    def fail(text: str) -> None:
        issues.append(Issue(path, text, description))

    # Keywords in the order upstream's schemas declare them (the library walks the schema's keys).
    for keyword in schema:
        rule = schema[keyword]
        if keyword == "type":
            types = rule if isinstance(rule, list) else [rule]
            if not any(_type_ok(value, t) for t in types):
                fail(f"is not of a type(s) {','.join(types)}")
        elif keyword == "enum":
            if not any(_same(value, allowed) for allowed in rule):
                fail(f"is not one of enum values: {','.join(_js(v) for v in rule)}")
        elif keyword == "pattern" and isinstance(value, str):
            if not re.search(rule, value):
                fail(f"does not match pattern {json.dumps(rule)}")
        elif keyword == "minLength" and isinstance(value, str):
            if len(value) < rule:
                fail(f"does not meet minimum length of {rule}")
        elif keyword == "minimum" and _type_ok(value, "number"):
            if value < rule:
                fail(f"must be greater than or equal to {rule}")
        elif keyword == "maximum" and _type_ok(value, "number"):
            if value > rule:
                fail(f"must be less than or equal to {rule}")
        elif keyword == "minItems" and isinstance(value, list):
            if len(value) < rule:
                fail(f"does not meet minimum length of {rule}")
        elif keyword == "uniqueItems" and rule and isinstance(value, list):
            seen: list[str] = []
            for item in value:
                encoded = json.dumps(item, sort_keys=True)
                if encoded in seen:
                    fail("contains duplicate item")
                    break
                seen.append(encoded)
        elif keyword == "items" and isinstance(value, list):
            for index, item in enumerate(value):
                _validate(item, rule, _child(path, index), issues)
        elif keyword == "properties" and isinstance(value, dict):
            for name, sub in rule.items():
                if name in value:
                    _validate(value[name], sub, _child(path, name), issues)
        elif keyword == "required" and isinstance(value, dict):
            for name in rule:
                if name not in value:
                    fail(f'requires property "{name}"')
        elif keyword == "if" and isinstance(value, dict):
            if _matches(value, rule) and "then" in schema:
                _validate(value, schema["then"], path, issues)


def _matches(value: dict[str, Any], condition: Schema) -> bool:
    """The only `if` upstream uses: every key of the object is one of `propertyNames.enum`."""
    names = condition.get("propertyNames", {}).get("enum")
    if names is None:
        return not validate(value, condition)
    return all(key in names for key in value)
