"""A bot on the WhatsApp Web channel (fake neonize client): an inbound text reaches the bot server, its
answer is sent to the contact through whatsmeow; the operator's own message from the phone pauses it."""

from __future__ import annotations

import asyncio

from neonize.proto import Neonize_pb2 as N
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E
from neonize.utils.jid import build_jid

from tests.conftest import ServerFactory
from tests.integrations.chatbots.fakes import fake_server
from tests.support.server import unique
from tests.support.whatsmeow import FAKE_ENV, eventually, open_instance

MARIA = build_jid("5511988887777")


def text_event(text: str, msg_id: str, *, from_me: bool = False) -> N.Message:
    source = N.MessageSource(Chat=MARIA, Sender=MARIA, IsFromMe=from_me, IsGroup=False)
    info = N.MessageInfo(MessageSource=source, ID=msg_id, Pushname="Maria", Timestamp=1717000000, Type="text")
    return N.Message(Info=info, Message=E.Message(conversation=text))


async def test_a_bot_answers_on_whatsapp_web_and_pauses_for_the_operator(server_factory: ServerFactory) -> None:
    async with fake_server() as bot, server_factory(**FAKE_ENV) as srv:
        bot.on("/bot", lambda call: {"message": f"bot: {call.json['query']}"})
        name = unique()
        _instance_id, client = await open_instance(srv, name)
        created = await srv.client.post(
            f"/evolutionBot/create/{name}",
            headers=srv.headers(),
            json={"enabled": True, "triggerType": "all", "apiUrl": f"{bot.url}/bot", "delayMessage": 0,
                  "debounceTime": 0, "stopBotFromMe": True, "listeningFromMe": False},
        )  # fmt: skip
        assert created.status_code == 201, created.text

        await client.push(text_event("Oi, tudo bem?", "3EB0CB000000000000000A"))
        await eventually(lambda: client.calls_of("send_message"), within=15)
        to, message = client.calls_of("send_message")[0][0][:2]
        assert to.User == "5511988887777"
        assert (message.conversation or message.extendedTextMessage.text) == "bot: Oi, tudo bem?"

        await client.push(text_event("I'll take it from here", "3EB0CB000000000000000B", from_me=True))
        await asyncio.sleep(0.5)
        await client.push(text_event("thanks", "3EB0CB000000000000000C"))
        await asyncio.sleep(1.0)
        assert len(bot.calls) == 1 and len(client.calls_of("send_message")) == 1
