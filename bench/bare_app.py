"""The baselines: bare Litestar routes, served like our server (uvicorn, uvloop, httptools).

`GET /instance/connectionState/{name}` returns the same msgspec Struct as ours; `POST
/message/sendText/{name}` decodes the same JSON body with msgspec (Litestar's own body decoding into
a Struct of sendText's fields) and answers 201 with a message record of the same shape, with no
guard, no store and no channel behind it.
"""

from __future__ import annotations

import time

import msgspec
from litestar import Litestar, get, post


class State(msgspec.Struct):
    instanceName: str
    state: str


class Body(msgspec.Struct):
    instance: State


class SendText(msgspec.Struct, kw_only=True):
    number: str
    text: str
    delay: int | None = None
    linkPreview: bool | None = None
    mentionsEveryOne: bool | None = None
    mentioned: list[str] | None = None
    quoted: dict[str, object] | None = None


class Key(msgspec.Struct):
    remoteJid: str
    fromMe: bool
    id: str


class Sent(msgspec.Struct):
    key: Key
    message: dict[str, object]
    messageTimestamp: int
    status: str
    instanceId: str


@get("/instance/connectionState/{instanceName:str}")
async def connection_state(instanceName: str) -> Body:
    return Body(instance=State(instanceName=instanceName, state="open"))


@post("/message/sendText/{instanceName:str}", status_code=201)
async def send_text(instanceName: str, data: SendText) -> Sent:
    return Sent(
        key=Key(remoteJid=f"{data.number}@s.whatsapp.net", fromMe=True, id="3EB0" + str(time.monotonic_ns())),
        message={"conversation": data.text},
        messageTimestamp=int(time.time()),
        status="PENDING",
        instanceId=instanceName,
    )


app = Litestar([connection_state, send_text], logging_config=None)
