"""Column types that mean the same on SQLite, PostgreSQL and MySQL/MariaDB.

On SQLite and PostgreSQL each is the plain type the tables always had (`text`, `timestamp`, `float`,
`jsonb`), so existing databases see no change; MySQL needs its own where the plain type differs:

- `KeyText`: ids and the columns that refer to them. MySQL cannot index (primary key, foreign key,
  unique) a TEXT column, so it is VARCHAR(191) there, Prisma's own MySQL length for a `String` id.
- `LongText`: unbounded text (an outbox payload can carry base64 media). MySQL's TEXT stops at
  64 KB; LONGTEXT at 4 GB, as PostgreSQL's `text`.
- `Stamp`: MySQL's DATETIME keeps whole seconds; DATETIME(6) keeps microseconds as PostgreSQL's
  `timestamp` does, so rows written in one second still sort by time.
- `Real`: MySQL's FLOAT is single precision (epoch seconds would lose minutes); DOUBLE is what
  PostgreSQL's `float` is.
- `JsonType`: `jsonb` on PostgreSQL, JSON elsewhere (MariaDB: LONGTEXT checked by JSON_VALID).

Every string column is utf8mb4 with a binary collation on MySQL (see store/mysql.py): names and
JIDs compare exactly, as on PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import JSON, DateTime, Float, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects.postgresql import JSONB

_MYSQL = ("mysql", "mariadb")

KeyText = Text().with_variant(String(191), *_MYSQL)
LongText = Text().with_variant(mysql.LONGTEXT(), *_MYSQL)
Stamp = DateTime().with_variant(mysql.DATETIME(fsp=6), *_MYSQL)
Real = Float().with_variant(mysql.DOUBLE(asdecimal=False), *_MYSQL)
JsonType = JSON().with_variant(JSONB(), "postgresql")
