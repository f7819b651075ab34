"""Request bodies of `/business/getCatalog` and `/business/getCollections` (`business.schema.ts`)."""

from __future__ import annotations

import msgspec

from evolution_py.dto.jsonschema import Schema

CATALOG_SCHEMA: Schema = {"type": "object", "properties": {"number": {"type": "string"}, "limit": {"type": "number"}}}
COLLECTIONS_SCHEMA: Schema = CATALOG_SCHEMA


class CatalogQuery(msgspec.Struct, kw_only=True):
    number: str | None = None
    limit: float | None = None
