"""WhatsApp Web sessions in PostgreSQL: one schema per instance (`wa_<instance id hex>`).

Why a schema each, and not whatsmeow's shared tables with a `jid` per instance (checked against
neonize 0.5.2's Go `Neonize()` and whatsmeow's `sqlstore`):
- A client made without a `jid` resumes `GetFirstDevice()`: in shared tables that is whichever
  tenant's device comes first. In a schema of its own, the first device is the instance's own (or a
  new one when it has none), so no tenant can ever load another's keys.
- neonize's `NewAClient(jid=...)` replaces the client's `uuid` (the Go-side client key) with the
  phone number, so two instances linked to the same phone, or an old client still stopping beside
  its replacement, would share one Go client. And `GetDevice` of a JID that is gone returns no
  device at all. So the channel never passes `jid`: the schema *is* the instance's device record,
  and the paired device's JID is read from it (`paired_device`).

whatsmeow's upgrade code (go.mau.fi/util dbutil) asks `information_schema` whether its version table
exists without naming a schema, so once one instance has tables every later schema "has" them and
its start fails (`relation "whatsmeow_version" does not exist`). `prepare()` therefore creates the
empty version table itself; whatsmeow then sees version 0 and creates the rest in the schema that
`search_path` names (tests/store/test_neonize_pg_store.py runs the real Go store).
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)


def schema_name(instance_id: str) -> str:
    """The instance's schema. One id, one schema, and two ids never share one: a UUID in its canonical
    form (ours, upstream's, Evolution Go's) gives `wa_<hex>`; any other id a hash, `wa_h_<sha-256>`
    (no hex of a UUID has an underscore), always a safe unquoted name well under 63 bytes."""
    try:
        canonical = str(uuid.UUID(instance_id)) == instance_id
    except ValueError:
        canonical = False
    if canonical:
        return f"wa_{uuid.UUID(instance_id).hex}"
    return f"wa_h_{hashlib.sha256(instance_id.encode()).hexdigest()[:48]}"


def session_dsn(base_dsn: str, schema: str) -> str:
    """The DSN for neonize: lib/pq sends `search_path` as a start-up setting, so whatsmeow's unqualified
    tables are created and read in the instance's schema and nowhere else."""
    return f"{base_dsn}{'&' if '?' in base_dsn else '?'}search_path={schema}"


class PostgresSessions:
    """One instance's whatsmeow store in PostgreSQL. Reads go through the app's pool; neonize's Go side
    opens its own connections with `target` (which holds the password: never log it)."""

    def __init__(self, engine: AsyncEngine, base_dsn: str, instance_id: str, idle_seconds: int = 0) -> None:
        self.engine = engine
        self.schema = schema_name(instance_id)
        self.target = session_dsn(base_dsn, self.schema)
        self._idle_seconds = idle_seconds

    def __repr__(self) -> str:
        return f"PostgresSessions(schema={self.schema!r})"

    async def prepare(self) -> None:
        """The schema and whatsmeow's (empty) version table, before a client opens the store; `target`
        is final after this.

        neonize never closes a client's store: every client (each reconnect, each new QR session)
        leaves its Go connection pool open until the process ends (measured: one more idle
        connection per client). So, on PostgreSQL 14 and later, the DSN asks the server to end
        these sessions after `idle_seconds` idle (`idle_session_timeout`). For a live client this is
        harmless: lib/pq reports the ended connection as `driver.ErrBadConn`, and Go's database/sql
        then retries on a new one."""
        async with self.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            await conn.execute(
                text(f'CREATE TABLE IF NOT EXISTS "{self.schema}".whatsmeow_version (version INTEGER, compat INTEGER)')
            )
            version = await conn.scalar(text("SELECT current_setting('server_version_num')::int"))
        if self._idle_seconds > 0 and int(version or 0) >= 140000 and "idle_session_timeout=" not in self.target:
            self.target += f"&idle_session_timeout={self._idle_seconds * 1000}"

    async def paired_device(self) -> str | None:
        """The JID of the device paired in this instance's store (None before pairing or after logout)."""
        async with self.engine.connect() as conn:
            table = await conn.scalar(text("SELECT to_regclass(:t)::text"), {"t": f'"{self.schema}".whatsmeow_device'})
            if table is None:
                return None
            jids = list((await conn.execute(text(f"SELECT jid FROM {table} ORDER BY jid"))).scalars())
        if len(jids) > 1:  # whatsmeow stores one device per client; say so rather than pick silently
            log.warning("session schema %s holds %d devices; the client resumes the first", self.schema, len(jids))
        return str(jids[0]) if jids else None

    async def has_session(self) -> bool:
        return await self.paired_device() is not None

    async def remove(self) -> None:
        """Drop the schema: the keys are gone, the next connect asks for a QR code."""
        async with self.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
