"""Non-find `/chat/*`, `/label/*`, `/call/*` and `/business/*` routes through HTTP on an EVOLUTION
instance: status codes, upstream's validation messages and special error forms, auth."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.server import RunningServer

NOT_AVAILABLE = {
    "status": 400,
    "error": "Bad Request",
    "response": {"message": ["Method not available on Evolution Channel"]},
}
KEY = {"id": "ABC", "remoteJid": "5511900000002@s.whatsapp.net", "fromMe": False}
PRIVACY = {
    "readreceipts": "all",
    "profile": "all",
    "status": "contacts",
    "online": "all",
    "last": "none",
    "groupadd": "contacts",
}

# (method, path, valid body) that reach the channel
CHANNEL_ROUTES = [
    ("POST", "chat/markMessageAsRead", {"readMessages": [KEY]}),
    ("POST", "chat/archiveChat", {"archive": True, "chat": "5511900000002"}),
    ("POST", "chat/markChatUnread", {"lastMessage": {"key": KEY}}),
    ("DELETE", "chat/deleteMessageForEveryone", KEY),
    ("POST", "chat/getBase64FromMediaMessage", {"message": {"key": {"id": "ABC"}}}),
    ("POST", "chat/updateMessage", {"number": "5511900000002", "key": KEY, "text": "edited"}),
    ("POST", "chat/sendPresence", {"number": "5511900000002", "presence": "composing", "delay": 0}),
    ("POST", "chat/updateBlockStatus", {"number": "5511900000002", "status": "block"}),
    ("POST", "chat/fetchBusinessProfile", {"number": "5511900000002"}),
    ("POST", "chat/fetchProfile", {"number": "5511900000002"}),
    ("POST", "chat/updateProfileName", {"name": "Me"}),
    ("POST", "chat/updateProfileStatus", {"status": "Busy"}),
    ("POST", "chat/updateProfilePicture", {"picture": "https://x.test/p.jpg"}),
    ("DELETE", "chat/removeProfilePicture", None),
    ("GET", "chat/fetchPrivacySettings", None),
    ("POST", "chat/updatePrivacySettings", PRIVACY),
    ("GET", "label/findLabels", None),
    ("POST", "label/handleLabel", {"number": "5511900000002", "labelId": "1", "action": "add"}),
    ("POST", "call/offer", {"number": "5511900000002", "callDuration": 5}),
]


async def _instance(server: RunningServer) -> tuple[str, str]:
    name = f"chat-{uuid.uuid4().hex[:8]}"
    created = await server.create_instance(name)
    return name, created["hash"]


async def _call(server: RunningServer, method: str, path: str, name: str, body: Any, key: str | None = None) -> Any:
    return await server.client.request(method, f"/{path}/{name}", json=body, headers=server.headers(key))


def _invalid(*messages: str) -> dict[str, Any]:
    return {"status": 400, "error": "Bad Request", "response": {"message": [list(messages)]}}


async def test_routes_guard_and_reach_the_channel(server: RunningServer) -> None:
    name, token = await _instance(server)
    for method, path, body in CHANNEL_ROUTES:
        assert (await _call(server, method, path, "nope-" + name, body)).status_code == 404, path
        assert (await _call(server, method, path, name, body, key="bad")).status_code == 401, path
        answered = await _call(server, method, path, name, body, key=token)
        assert answered.status_code == 400, (path, answered.text)
        # upstream's EVOLUTION channel copied offerCall's text from its Cloud API channel
        label = "WhatsApp Business API" if path == "call/offer" else "Evolution Channel"
        assert answered.json() == {**NOT_AVAILABLE, "response": {"message": [f"Method not available on {label}"]}}, path


async def test_profile_picture_url_on_evolution_is_upstreams_null(server: RunningServer) -> None:
    name, _ = await _instance(server)
    response = await _call(server, "POST", "chat/fetchProfilePictureUrl", name, {"number": "+55 11 90000-0002"})
    assert response.status_code == 200
    assert response.json() == {"wuid": "5511900000002@s.whatsapp.net", "profilePictureUrl": None}


async def test_whatsapp_numbers_answers_raw_objects(server: RunningServer) -> None:
    name, _ = await _instance(server)
    unavailable = await _call(server, "POST", "chat/whatsappNumbers", name, {"numbers": ["5511900000002"]})
    assert unavailable.status_code == 400
    assert unavailable.json() == {
        "status": 400,
        "error": "Bad Request",
        "message": ["Method not available on Evolution Channel"],
    }
    invalid = await _call(server, "POST", "chat/whatsappNumbers", name, {"numbers": []})
    assert invalid.status_code == 400
    assert invalid.json() == {
        "status": 400,
        "error": "Bad Request",
        "message": [["numbers does not meet minimum length of 1"]],
    }
    missing = await _call(server, "POST", "chat/whatsappNumbers", name, {})
    assert missing.json() == {
        "status": 400,
        "error": "Bad Request",
        "message": [['instance requires property "numbers"']],
    }
    # guard errors keep the standard envelope
    assert (await _call(server, "POST", "chat/whatsappNumbers", name, {}, key="bad")).json()["response"] == {
        "message": "Unauthorized"
    }


async def test_chat_validation_messages(server: RunningServer) -> None:
    name, _ = await _instance(server)
    read = await _call(server, "POST", "chat/markMessageAsRead", name, {"readMessages": [{"id": "", "remoteJid": "x"}]})
    assert read.json() == _invalid('readMessages[0] requires property "fromMe"', 'The "id" cannot be empty')
    empty_id = await _call(
        server, "POST", "chat/markMessageAsRead", name, {"readMessages": [{"id": "", "remoteJid": "x", "fromMe": True}]}
    )
    # upstream quirk kept: `fromMe` is not in isNotEmpty's list, so the empty id passes.
    assert empty_id.json() == NOT_AVAILABLE
    archive = await _call(server, "POST", "chat/archiveChat", name, {"chat": "x"})
    assert archive.json() == _invalid('instance requires property "archive"')
    presence = await _call(server, "POST", "chat/sendPresence", name, {"number": 5511, "presence": "typing"})
    assert presence.json() == _invalid(
        "Invalid format", "presence is not one of enum values: unavailable,available,composing,recording,paused",
        'instance requires property "delay"',
    )  # fmt: skip
    block = await _call(server, "POST", "chat/updateBlockStatus", name, {"number": "5511", "status": "ban"})
    assert block.json() == _invalid("status is not one of enum values: block,unblock")
    privacy = await _call(server, "POST", "chat/updatePrivacySettings", name, {**PRIVACY, "online": "none"})
    assert privacy.json() == _invalid("online is not one of enum values: all,match_last_seen")
    delete = await _call(server, "DELETE", "chat/deleteMessageForEveryone", name, {"id": "A", "remoteJid": "x"})
    assert delete.status_code == 400
    assert delete.json() == _invalid('instance requires property "fromMe"')
    name_empty = await _call(server, "POST", "chat/updateProfileName", name, {"name": ""})
    assert name_empty.json() == _invalid('The "name" cannot be empty')
    base64_missing = await _call(server, "POST", "chat/getBase64FromMediaMessage", name, {})
    assert base64_missing.status_code == 400
    assert base64_missing.json()["response"]["message"] == [['instance requires property "message"']]


async def test_label_call_business(server: RunningServer) -> None:
    name, _ = await _instance(server)
    label = await _call(server, "POST", "label/handleLabel", name, {"number": "5511", "labelId": "1", "action": "move"})
    assert label.json() == _invalid("action is not one of enum values: add,remove")
    call = await _call(server, "POST", "call/offer", name, {"number": "5511", "callDuration": 20, "isVideo": "no"})
    assert call.json() == _invalid(
        "isVideo is not of a type(s) boolean", "isVideo is not one of enum values: true,false",
        "callDuration must be less than or equal to 15",
    )  # fmt: skip
    for route, context in (("getCatalog", "business_catalog"), ("getCollections", "business_collections")):
        response = await _call(server, "POST", f"business/{route}", name, {"number": "5511900000002"})
        assert response.status_code == 400
        body = response.json()
        message = ["Method not available on Evolution Channel"]
        assert body["message"] == message
        assert body["details"] == {
            "whatsapp_error": message,
            "whatsapp_code": "UNKNOWN_ERROR",
            "error_user_title": message,
            "error_user_msg": message,
            "error_type": "UNKNOWN",
            "error_subcode": None,
            "fbtrace_id": None,
            "context": context,
            "type": "whatsapp_api_error",
        }
        assert body["timestamp"].endswith("Z")
        bad = await _call(server, "POST", f"business/{route}", name, {"limit": "ten"})
        assert bad.json()["message"] == [["limit is not of a type(s) number"]]
