"""A real PgBouncer in transaction mode in front of the shared PostgreSQL, for one test.

Debian's `pgbouncer` (`.ci/run` installs it): its own generated config, a free loopback port,
a small server pool so that many client transactions share few server connections (what makes a
prepared statement left behind by one client visible to another).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import asyncpg

from tests.support.server import free_port

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def available() -> bool:
    return Path(BINARY).exists()


@asynccontextmanager
async def pgbouncer(
    upstream_host: str = "127.0.0.1", upstream_port: int = 5432, pool_size: int = 2
) -> AsyncIterator[int]:
    """Run PgBouncer (pool_mode = transaction) in front of PostgreSQL; yields its port."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="evo-pgbouncer-"))
    config = workdir / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={upstream_host} port={upstream_port} user=postgres\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\n"
        f"default_pool_size = {pool_size}\nmin_pool_size = 0\nreserve_pool_size = 0\nmax_client_conn = 500\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {workdir / 'pgbouncer.log'}\npidfile = {workdir / 'pgbouncer.pid'}\n"
        # It refuses to run as root: it drops to postgres, which must read and write here.
        "user = postgres\n"
    )
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(config, "postgres")
    process = await asyncio.create_subprocess_exec(
        BINARY, str(config), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(100):
            with suppress(OSError, asyncpg.PostgresError):
                connection = await asyncpg.connect(
                    f"postgresql://postgres@127.0.0.1:{port}/test", statement_cache_size=0, timeout=2
                )
                await connection.close()
                break
            if process.returncode is not None:
                problem = await process.stderr.read() if process.stderr else b""
                raise RuntimeError(f"pgbouncer exited: {problem.decode(errors='replace')}")
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("pgbouncer did not come up")
        yield port
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
