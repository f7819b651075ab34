"""A WHATSAPP-BAILEYS instance that is not connected must not load neonize (0.45 s, ~69 MB per
process; stack-facts §1), nor protobuf: they load when a client is first opened.

Run in a fresh interpreter, so that the neonize imports of earlier tests in this process cannot
hide an import on the construction path."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path

    from tests.support.server import running_server, unique

    HEAVY = ("neonize", "google.protobuf", "waE2E", "qrcode", "PIL")

    async def main(data_dir: str) -> None:
        async with running_server(Path(data_dir), {}) as srv:
            name = unique("lazy")
            made = await srv.create_instance(name, integration="WHATSAPP-BAILEYS")
            assert made["instance"]["integration"] == "WHATSAPP-BAILEYS", made
            state = await srv.client.get(f"/instance/connectionState/{name}", headers=srv.headers())
            assert state.json()["instance"]["state"] == "close", state.text
            listed = await srv.client.get("/instance/fetchInstances", headers=srv.headers())
            assert listed.status_code == 200, listed.text
            channel = srv.services.registry.require(name).channel
            assert type(channel).__name__ == "WhatsAppWebChannel", type(channel)
            await channel.start()  # the stored-session check of a restart: no session, no client
            deleted = await srv.client.delete(f"/instance/delete/{name}", headers=srv.headers())
            assert deleted.status_code == 200, deleted.text
        print(json.dumps(sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HEAVY))))

    asyncio.run(main(sys.argv[1]))
    """
)


def test_unconnected_whatsapp_web_instance_does_not_load_neonize(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = done.stdout.strip().splitlines()[-1]
    assert loaded == "[]", f"loaded without a connected client: {loaded}"
