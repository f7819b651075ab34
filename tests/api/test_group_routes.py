"""`/group/*` through HTTP on an EVOLUTION instance: auth, upstream's validation forms, status
codes, and the channel's 400 "Method not available on Evolution Channel" once input is valid."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.server import RunningServer

NOT_AVAILABLE = {
    "status": 400,
    "error": "Bad Request",
    "response": {"message": ["Method not available on Evolution Channel"]},
}
NO_GROUP_ID = {
    "status": 400,
    "error": "Bad Request",
    "response": {"message": ["The group id needs to be informed in the query", 'ex: "groupJid=120362@g.us"']},
}


async def _instance(server: RunningServer) -> tuple[str, str]:
    name = f"grp-{uuid.uuid4().hex[:8]}"
    created = await server.create_instance(name)
    return name, created["hash"]


def _group_error(*items: dict[str, str]) -> dict[str, Any]:
    return {"status": 400, "error": "Bad Request", "response": {"message": list(items)}}


# (method, route, body, query) that pass validation
VALID_CALLS = [
    ("POST", "create", {"subject": "Team", "participants": ["5511999990000"]}, None),
    ("POST", "updateGroupSubject", {"groupJid": "120363000000000001@g.us", "subject": "New"}, None),
    ("POST", "updateGroupPicture", {"groupJid": "120363000000000001", "image": "https://x.test/a.jpg"}, None),
    ("POST", "updateGroupDescription", {"description": "About"}, {"groupJid": "120363000000000001"}),
    ("GET", "findGroupInfos", None, {"groupJid": "120363000000000001@g.us"}),
    ("GET", "fetchAllGroups", None, {"getParticipants": "false"}),
    ("GET", "participants", None, {"groupJid": "120363000000000001"}),
    ("GET", "inviteCode", None, {"groupJid": "120363000000000001"}),
    ("GET", "inviteInfo", None, {"inviteCode": "F1EX5QZxO181L3TMVP31gY"}),
    ("GET", "acceptInviteCode", None, {"inviteCode": "F1EX5QZxO181L3TMVP31gY"}),
    (
        "POST",
        "sendInvite",
        {"groupJid": "120363000000000001@g.us", "description": "join", "numbers": ["5511999990000"]},
        None,
    ),
    ("POST", "revokeInviteCode", {"groupJid": "120363000000000001"}, None),
    ("POST", "updateParticipant", {"groupJid": "1203630", "action": "add", "participants": ["5511999990000"]}, None),
    ("POST", "updateSetting", {"groupJid": "1203630", "action": "locked"}, None),
    ("POST", "toggleEphemeral", {"groupJid": "1203630", "expiration": 86400}, None),
    ("DELETE", "leaveGroup", None, {"groupJid": "1203630"}),
]


async def _call(
    server: RunningServer, method: str, route: str, name: str, body: Any, query: Any, key: str | None = None
) -> Any:
    return await server.client.request(
        method, f"/group/{route}/{name}", json=body, params=query, headers=server.headers(key)
    )


async def test_every_route_guards_then_reaches_the_channel(server: RunningServer) -> None:
    name, token = await _instance(server)
    other, _ = await _instance(server)
    assert len(VALID_CALLS) == 16
    for method, route, body, query in VALID_CALLS:
        missing = await _call(server, method, route, "nope-" + name, body, query)
        assert missing.status_code == 404, route
        assert missing.json()["response"]["message"] == [f'The "nope-{name}" instance does not exist']
        unauthorized = await _call(server, method, route, name, body, query, key="wrong")
        assert unauthorized.status_code == 401, route
        foreign = await _call(server, method, route, other, body, query, key=token)
        assert foreign.status_code == 401, route
        for key in (None, token):
            answered = await _call(server, method, route, name, body, query, key=key)
            assert answered.status_code == 400, (route, answered.text)
            assert answered.json() == NOT_AVAILABLE, route


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("POST", "updateGroupSubject"),
        ("POST", "updateGroupPicture"),
        ("POST", "updateGroupDescription"),
        ("GET", "findGroupInfos"),
        ("GET", "participants"),
        ("GET", "inviteCode"),
        ("POST", "revokeInviteCode"),
        ("POST", "updateParticipant"),
        ("POST", "updateSetting"),
        ("POST", "toggleEphemeral"),
        ("DELETE", "leaveGroup"),
    ],
)
async def test_group_id_is_required(server: RunningServer, method: str, route: str) -> None:
    name, _ = await _instance(server)
    response = await _call(server, method, route, name, None, None)
    assert response.status_code == 400
    assert response.json() == NO_GROUP_ID


async def test_group_jid_pattern_and_query_fallback(server: RunningServer) -> None:
    name, _ = await _instance(server)
    bad = await _call(server, "GET", "findGroupInfos", name, None, {"groupJid": "abc"})
    assert bad.status_code == 400
    assert bad.json() == _group_error(
        {"property": "groupJid", "message": 'groupJid does not match pattern "^[\\\\d-]+@g.us$"'}
    )
    # leaveGroup validates against an empty schema upstream: any id reaches the channel.
    leave = await _call(server, "DELETE", "leaveGroup", name, None, {"groupJid": "abc"})
    assert leave.json() == NOT_AVAILABLE


async def test_group_validation_form(server: RunningServer) -> None:
    name, _ = await _instance(server)
    subject = await _call(server, "POST", "updateGroupSubject", name, {"groupJid": "1203630"}, None)
    assert subject.json() == _group_error({"property": "instance", "message": 'instance requires property "subject"'})
    empty = await _call(server, "POST", "updateGroupSubject", name, {"groupJid": "1203630", "subject": ""}, None)
    assert empty.json() == _group_error({"property": "subject", "message": 'The "subject" cannot be empty'})
    # isNotEmpty only applies when no other keys are present (upstream quirk kept).
    extra = await _call(server, "POST", "updateGroupSubject", name, {"groupJid": "1", "subject": "", "x": 1}, None)
    assert extra.json() == NOT_AVAILABLE
    action = await _call(
        server, "POST", "updateParticipant", name, {"groupJid": "1", "action": "kick", "participants": ["123"]}, None
    )
    assert action.json() == _group_error(
        {"property": "action", "message": "action is not one of enum values: add,remove,promote,demote"},
        {"property": "participants[0]", "message": '"participants" must be an array of numeric strings'},
    )
    setting = await _call(server, "POST", "updateSetting", name, {"groupJid": "1", "action": 5}, None)
    assert setting.json() == _group_error(
        {"property": "action", "message": "action is not of a type(s) string"},
        {
            "property": "action",
            "message": "action is not one of enum values: announcement,not_announcement,locked,unlocked",
        },
    )
    ephemeral = await _call(server, "POST", "toggleEphemeral", name, {"groupJid": "1", "expiration": 5}, None)
    assert ephemeral.json() == _group_error(
        {"property": "expiration", "message": "expiration is not one of enum values: 0,86400,604800,7776000"}
    )
    duplicate = await _call(
        server,
        "POST",
        "sendInvite",
        name,
        {"groupJid": "1@g.us", "description": "d", "numbers": ["5511999990000", "5511999990000"]},
        None,
    )
    assert duplicate.json() == _group_error({"property": "numbers", "message": "numbers contains duplicate item"})
    # sendInvite has no query fallback: the body is validated as it is.
    no_body = await _call(server, "POST", "sendInvite", name, None, {"groupJid": "1@g.us"})
    assert no_body.json() == _group_error(
        {"property": "instance", "message": 'instance requires property "groupJid"'},
        {"property": "instance", "message": 'instance requires property "description"'},
        {"property": "instance", "message": 'instance requires property "numbers"'},
    )


async def test_create_uses_the_standard_form(server: RunningServer) -> None:
    name, _ = await _instance(server)
    response = await _call(server, "POST", "create", name, {"participants": []}, None)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "error": "Bad Request",
        "response": {
            "message": [["participants does not meet minimum length of 1", 'instance requires property "subject"']]
        },
    }
    promote = await _call(
        server,
        "POST",
        "create",
        name,
        {"subject": "s", "participants": ["5511999990000"], "promoteParticipants": "yes"},
        None,
    )
    assert promote.json()["response"]["message"] == [
        ["promoteParticipants is not of a type(s) boolean", "promoteParticipants is not one of enum values: true,false"]
    ]


async def test_invite_code_and_get_participants_queries(server: RunningServer) -> None:
    name, _ = await _instance(server)
    missing = await _call(server, "GET", "inviteInfo", name, None, None)
    assert missing.json() == {
        "status": 400,
        "error": "Bad Request",
        "response": {
            "message": [
                "The group invite code id needs to be informed in the query",
                'ex: "inviteCode=F1EX5QZxO181L3TMVP31gY" (Obtained from group join link)',
            ]
        },
    }
    short = await _call(server, "GET", "acceptInviteCode", name, None, {"inviteCode": "abc"})
    assert short.json() == _group_error(
        {"property": "inviteCode", "message": 'inviteCode does not match pattern "^[a-zA-Z0-9]{22}$"'}
    )
    participants = await _call(server, "GET", "fetchAllGroups", name, None, None)
    assert participants.json() == {
        "status": 400,
        "error": "Bad Request",
        "response": {"message": ["The getParticipants needs to be informed in the query"]},
    }
    wrong = await _call(server, "GET", "fetchAllGroups", name, None, {"getParticipants": "yes"})
    assert wrong.json() == _group_error(
        {"property": "getParticipants", "message": "getParticipants is not one of enum values: true,false"}
    )


async def test_malformed_json_changes_nothing(server: RunningServer) -> None:
    name, _ = await _instance(server)
    response = await server.client.post(
        f"/group/create/{name}", content=b"{not json", headers={**server.headers(), "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["status"] == 400
