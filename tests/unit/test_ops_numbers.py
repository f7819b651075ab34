"""The number check: what IsOnWhatsApp is asked and how its answer becomes upstream's list."""

from __future__ import annotations

from pathlib import Path

from neonize.proto.Neonize_pb2 import GroupInfo, GroupName, IsOnWhatsAppResponse

from evolution_py.channels.whatsapp_web.numbers import check_numbers, plan_number_checks, user_queries
from tests.support.fake_neonize_ops import jid, ops_channel


def test_plans_try_brazilian_and_mexican_variants() -> None:
    plans = plan_number_checks(["5531987654321", "+52 1 55 1234 5678", "120363000000000001@g.us", "status@broadcast"])
    assert [p.kind for p in plans] == ["user", "user", "group", "broadcast"]
    # createJid drops the 9 for DDD 31 with a first local digit >= 7; both forms are asked.
    assert plans[0].jid == "553187654321@s.whatsapp.net"
    assert plans[0].queries == ["+553187654321", "+5531987654321"]
    assert plans[1].jid == "525512345678@s.whatsapp.net"
    assert plans[1].queries == ["+525512345678", "+5215512345678"]
    assert user_queries(plans) == ["+553187654321", "+5531987654321", "+525512345678", "+5215512345678"]


async def test_results_in_upstream_order_with_names(tmp_path: Path) -> None:
    async with ops_channel(tmp_path) as channel:
        await channel.ctx.store.upsert_contact("5531987654321@s.whatsapp.net", push_name="Ana")
        channel.client.answer(
            "is_on_whatsapp",
            [
                IsOnWhatsAppResponse(Query="+5531987654321", JID=jid("5531987654321@s.whatsapp.net"), IsIn=True),
                IsOnWhatsAppResponse(Query="+5511900000009", JID=jid("5511900000009@s.whatsapp.net"), IsIn=False),
            ],
        )
        channel.client.answer("get_group_info", GroupInfo(JID=jid("1203@g.us"), GroupName=GroupName(Name="Team")))
        result = await check_numbers(
            channel.session,
            ["5531987654321", "5511900000009", "1203@g.us", "status@broadcast", "123@lid"],
            channel.ctx.store,
        )
        assert result == [
            {"jid": "status@broadcast", "exists": False, "number": "status@broadcast"},
            {"jid": "1203@g.us", "exists": True, "number": "1203@g.us", "name": "Team"},
            {"jid": "5531987654321@s.whatsapp.net", "exists": True, "number": "5531987654321", "name": "Ana"},
            {"jid": "5511900000009@s.whatsapp.net", "exists": False, "number": "5511900000009"},
            {"jid": "123@lid", "exists": True, "number": "123@lid", "lid": "lid"},
        ]
        asked = channel.client.called("is_on_whatsapp")[0].args
        assert asked == ("+553187654321", "+5531987654321", "+5511900000009", "+551100000009")
