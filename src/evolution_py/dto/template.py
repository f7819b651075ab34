"""Request bodies of the `/template` router (`template.schema.ts`), and of our `edit` / `delete`
additions (upstream has create and find only)."""

from __future__ import annotations

from typing import Any

import msgspec

from evolution_py.dto.jsonschema import Schema, not_empty

CATEGORIES = ["AUTHENTICATION", "MARKETING", "UTILITY"]

TEMPLATE_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "category": {"type": "string", "enum": CATEGORIES},
        "allowCategoryChange": {"type": "boolean"},
        "language": {"type": "string"},
        "components": {"type": "array"},
        "webhookUrl": {"type": "string"},
    },
    "required": ["name", "category", "language", "components"],
    **not_empty("name", "category", "language", "components"),
}

TEMPLATE_EDIT_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "templateId": {"type": "string", "pattern": "^[0-9]{1,64}$"},
        "category": {"type": "string", "enum": CATEGORIES},
        "allowCategoryChange": {"type": "boolean"},
        "components": {"type": "array"},
        "messageSendTtlSeconds": {"type": "integer"},
        "webhookUrl": {"type": "string"},
    },
    "required": ["templateId"],
}

TEMPLATE_DELETE_SCHEMA: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "templateId": {"type": "string", "pattern": "^[0-9]{1,64}$"},
    },
    "required": ["name"],
}


class TemplateCreate(msgspec.Struct, kw_only=True):
    name: str
    category: str
    language: str
    components: list[Any]
    allowCategoryChange: bool | None = None
    webhookUrl: str | None = None


class TemplateEdit(msgspec.Struct, kw_only=True):
    """Meta edits a template by its id: category and/or components (and the TTL of marketing ones)."""

    templateId: str
    category: str | None = None
    allowCategoryChange: bool | None = None
    components: list[Any] | None = None
    messageSendTtlSeconds: int | None = None
    webhookUrl: str | None = None


class TemplateDelete(msgspec.Struct, kw_only=True):
    """Meta deletes by name (every language), or one language's template with its id (`hsm_id`)."""

    name: str
    templateId: str | None = None
