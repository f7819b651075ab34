"""A webhook receiver that notes when each event arrived: raw ASGI on uvicorn (uvloop, httptools).

Run as `python bench/timed_receiver.py PORT OUT`; prints `ready` once listening and writes
`<data.key.id> <epoch seconds>` lines to OUT when it stops (SIGTERM).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import uvicorn

arrived: list[tuple[str, float]] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                print("ready", flush=True)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                with open(sys.argv[2], "w") as out:  # noqa: ASYNC230 - once, at shutdown
                    out.writelines(f"{key} {at}\n" for key, at in arrived)
                await send({"type": "lifespan.shutdown.complete"})
                return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    at = time.time()
    try:
        arrived.append((json.loads(body)["data"]["key"]["id"], at))
    except (ValueError, KeyError, TypeError):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
                log_level="warning", lifespan="on")  # fmt: skip
