"""A minimal webhook receiver for benchmarks: raw ASGI on uvicorn (uvloop + httptools), answers 200;
`GET /count` answers how many posts it took so far.

Run as `python bench/receiver.py PORT`; it prints `ready` once listening.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

count = 0


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global count
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                print("ready", flush=True)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["method"] == "GET":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(count).encode()})
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    count += 1
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="uvloop",
        http="httptools",
        log_level="warning",
        lifespan="on",
    )
