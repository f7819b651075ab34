"""Memory and start time of many WHATSAPP-BAILEYS instances in one process (channels created, not
connected), as a ratio against the same number of EVOLUTION instances (the baseline) measured in
the same run.

    PYTHONPATH=src .venv/bin/python bench/instances.py [--counts 1,100,1000]

Each (integration, count) runs in its own child process on a fresh SQLite database, so RSS numbers
do not bleed into each other. What is timed:
- load: `RuntimeLoader.load_all()` reading the rows and building one channel per instance;
- start: every `channel.start()` (for WHATSAPP-BAILEYS: the check for a stored session; no dial);
- rss: resident memory growth from before load to after start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def measure(count: int, integration: str) -> dict[str, float]:
    from evolution_py.app import build_services  # noqa: PLC0415 - child process only; parent stays light
    from evolution_py.config import load_settings  # noqa: PLC0415 - child process only; parent stays light
    from evolution_py.store.models import Instance, Setting  # noqa: PLC0415 - child process only; parent stays light

    with tempfile.TemporaryDirectory(prefix="bench-instances-") as folder:
        settings = load_settings(
            environ={"DATA_DIR": folder, "AUTHENTICATION_API_KEY": "bench-key-0123456789", "LOG_LEVEL": "ERROR"}
        )
        services = build_services(settings)
        await services.db.migrate()
        async with services.db.transaction() as session:
            for index in range(count):
                instance_id = str(uuid.uuid4())
                session.add(
                    Instance(
                        id=instance_id,
                        name=f"bench-{index}",
                        connectionStatus="close",
                        integration=integration,
                        token=str(uuid.uuid4()),
                        clientName=settings.client_name,
                    )
                )
                session.add(Setting(instanceId=instance_id))
        before = rss_bytes()
        started = time.perf_counter()
        await services.instances.loader.load_all()
        loaded = time.perf_counter()
        runtimes = services.registry.all()
        for runtime in runtimes:  # the staggered starts: run them all now instead
            runtime.cancel_tasks()
        await asyncio.gather(*(runtime.channel.start() for runtime in runtimes))
        done = time.perf_counter()
        after = rss_bytes()
        assert len(services.registry) == count
        assert "neonize" not in sys.modules, "a channel that is not connected must not load neonize"
        await services.instances.loader.shutdown()
        await services.db.dispose()
    return {"load_s": loaded - started, "start_s": done - loaded, "rss_mb": (after - before) / 2**20}


def child(count: int, integration: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(count), integration],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(["src", os.environ.get("PYTHONPATH", "")])},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="1,100,1000")
    parser.add_argument("--child", nargs=2, metavar=("COUNT", "INTEGRATION"))
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(measure(int(args.child[0]), args.child[1]))
        print(json.dumps(result))
        return
    print("| instances | integration | load s | start s | RSS growth MB | ratio load / start / RSS vs EVOLUTION |")
    print("|---|---|---|---|---|---|")
    for count in (int(c) for c in args.counts.split(",")):
        base = child(count, "EVOLUTION")
        wa = child(count, "WHATSAPP-BAILEYS")
        for name, row in (("EVOLUTION (baseline)", base), ("WHATSAPP-BAILEYS", wa)):
            ratio = (
                f"{row['load_s'] / base['load_s']:.2f} / {row['start_s'] / max(base['start_s'], 1e-9):.2f} / "
                f"{row['rss_mb'] / base['rss_mb']:.2f}"
                if base["rss_mb"] > 0
                else "-"
            )
            print(f"| {count} | {name} | {row['load_s']:.4f} | {row['start_s']:.4f} | {row['rss_mb']:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
