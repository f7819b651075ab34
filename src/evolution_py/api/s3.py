"""`/s3` router (upstream's storage router): `getMedia` (201) lists an instance's stored media with its
message; `getMediaUrl` (200) adds a presigned link (`expiry` seconds, 7 days unless told)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, post
from sqlalchemy import select

from evolution_py.api.auth import instance_guard
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import check_standard, json_body, to_dto
from evolution_py.dto.s3 import GET_MEDIA_SCHEMA, GET_MEDIA_URL_SCHEMA, MediaQuery
from evolution_py.errors import BadRequest
from evolution_py.media_store.bucket import StorageUnavailable
from evolution_py.media_store.models import Media
from evolution_py.services import Services
from evolution_py.store.messages import message_dict, row_dict
from evolution_py.store.models import Message


async def _media(services: Services, instance_name: str, query: MediaQuery) -> list[dict[str, Any]]:
    runtime = services.registry.require(instance_name)
    conditions = [Media.instanceId == runtime.id]
    if query.id is not None:
        conditions.append(Media.id == query.id)
    if query.type is not None:
        conditions.append(Media.type == query.type)
    if query.messageId is not None:
        conditions.append(Media.messageId == str(query.messageId))
    async with services.db.session() as session:
        rows = (await session.execute(select(Media, Message).join(Message).where(*conditions).limit(1000))).all()
    if not rows:
        raise BadRequest("Media not found")
    found = []
    for media, message in rows:
        item = row_dict(media, exclude=("messageId", "instanceId"))
        item["Message"] = message_dict(message)
        found.append(item)
    return found


@post("/getMedia/{instanceName:str}", status_code=201, dependencies=documented_body(MediaQuery))
async def get_media(request: Request[Any, Any, Any], services: Services, instanceName: str) -> Any:
    body = await json_body(request)
    check_standard(body, GET_MEDIA_SCHEMA)
    return await _media(services, instanceName, to_dto(body, MediaQuery))


@post("/getMediaUrl/{instanceName:str}", status_code=200, dependencies=documented_body(MediaQuery))
async def get_media_url(request: Request[Any, Any, Any], services: Services, instanceName: str) -> Any:
    body = await json_body(request)
    check_standard(body, GET_MEDIA_URL_SCHEMA)
    query = to_dto(body, MediaQuery)
    media = (await _media(services, instanceName, MediaQuery(id=query.id)))[0]
    if services.media is None:  # upstream: no client, no link (the media rows are still there)
        return media
    expiry = int(query.expiry) if query.expiry and query.expiry.isdigit() else None
    if expiry is not None and not 1 <= expiry <= 7 * 24 * 3600:
        raise BadRequest("expiry must be between 1 and 604800 seconds")
    try:
        url = await services.media.bucket.url(media["fileName"], expiry)
    except StorageUnavailable as exc:
        raise BadRequest(str(exc)) from None
    return {"mediaUrl": url, **media}


ROUTER = Router(path="/s3", guards=[instance_guard], tags=["S3"], route_handlers=[get_media, get_media_url])
ROUTES = [ROUTER]
