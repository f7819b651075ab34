"""The baseline: a bare Litestar route returning a msgspec Struct, served like our server."""

from __future__ import annotations

import msgspec
from litestar import Litestar, get


class State(msgspec.Struct):
    instanceName: str
    state: str


class Body(msgspec.Struct):
    instance: State


@get("/instance/connectionState/{instanceName:str}")
async def connection_state(instanceName: str) -> Body:
    return Body(instance=State(instanceName=instanceName, state="open"))


app = Litestar([connection_state], logging_config=None)
