"""/message/* on the WHATSAPP-BAILEYS channel through HTTP: what the fake neonize client was asked to
send, the §8.3 answer, the `send.message` event, and upstream's errors."""

from __future__ import annotations

import base64
import io
import math
import struct
import wave
from typing import Any

from neonize.proto.Neonize_pb2 import JID
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E
from PIL import Image

from tests.support.server import unique
from tests.support.whatsmeow import FAKE_ENV, create, open_instance, record

TO = "5511988887777"
TO_JID = "5511988887777@s.whatsapp.net"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def wav_bytes(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(16000)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 16000))) for i in range(int(16000 * seconds))
        )
        audio.writeframes(frames)
    return out.getvalue()


def sent(client, index: int = -1) -> tuple[JID, E.Message]:
    args, _kwargs = client.calls_of("send_message")[index]
    return args[0], args[1]


async def test_send_text_answers_the_sent_record(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        instance_id, client = await open_instance(srv, name)
        response = await srv.client.post(
            f"/message/sendText/{name}", headers=srv.headers(), json={"number": "+55 (11) 98888-7777", "text": "Olá"}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        message_id = body["key"]["id"]
        assert body == {
            "key": {"remoteJid": TO_JID, "fromMe": True, "id": message_id},
            "pushName": "Você",
            "status": "PENDING",
            "message": {"conversation": "Olá"},
            "messageType": "conversation",
            "messageTimestamp": body["messageTimestamp"],
            "instanceId": instance_id,
            "source": "web",
        }
        assert client.calls_of("is_on_whatsapp")[-1][0] == ("+" + TO,)
        to, message = sent(client)
        assert to.User == TO and to.Server == "s.whatsapp.net"
        assert message == E.Message(conversation="Olá")
        assert sink.of("send.message", name) == [body]
        stored = await srv.client.post(
            f"/chat/findMessages/{name}", headers=srv.headers(), json={"where": {"key": {"id": message_id}}}
        )
        assert stored.json()["messages"]["records"][0]["message"] == {"conversation": "Olá"}


async def test_not_on_whatsapp_and_not_connected_and_blank_text(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        closed = unique()
        await create(srv, closed)
        refused = await srv.client.post(
            f"/message/sendText/{closed}", headers=srv.headers(), json={"number": TO, "text": "x"}
        )
        assert refused.status_code == 400
        assert refused.json()["response"]["message"] == [f'The "{closed}" instance is not connected']

        name = unique()
        _id, client = await open_instance(srv, name)
        client.not_on_whatsapp.add("5511900000000")
        missing = await srv.client.post(
            f"/message/sendText/{name}", headers=srv.headers(), json={"number": "5511900000000", "text": "x"}
        )
        assert missing.status_code == 400
        assert missing.json() == {
            "status": 400,
            "error": "Bad Request",
            "response": {
                "message": [{"jid": "5511900000000@s.whatsapp.net", "exists": False, "number": "5511900000000"}]
            },
        }
        blank = await srv.client.post(
            f"/message/sendText/{name}", headers=srv.headers(), json={"number": TO, "text": " "}
        )
        assert blank.status_code == 400 and blank.json()["response"]["message"] == ["Text is required"]
        assert client.calls_of("send_message") == []
        # a group is not checked against is_on_whatsapp
        checks = len(client.calls_of("is_on_whatsapp"))
        group = await srv.client.post(
            f"/message/sendText/{name}", headers=srv.headers(), json={"number": "120363025555555555@g.us", "text": "oi"}
        )
        assert group.status_code == 201 and len(client.calls_of("is_on_whatsapp")) == checks


async def test_text_with_delay_quote_and_mentions(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _id, client = await open_instance(srv, name)
        response = await srv.client.post(
            f"/message/sendText/{name}",
            headers=srv.headers(),
            json={
                "number": TO,
                "text": "respondendo @5511977776666",
                "delay": 50,
                "quoted": {
                    "key": {"id": "ORIG1", "remoteJid": TO_JID, "fromMe": False},
                    "message": {"conversation": "pergunta"},
                },
                "mentioned": ["5511977776666"],
            },
        )
        assert response.status_code == 201, response.text
        presences = [(args[1].name, args[2].name) for args, _ in client.calls_of("send_chat_presence")]
        assert presences == [
            ("CHAT_PRESENCE_COMPOSING", "CHAT_PRESENCE_MEDIA_TEXT"),
            ("CHAT_PRESENCE_PAUSED", "CHAT_PRESENCE_MEDIA_TEXT"),
        ]
        _to, message = sent(client)
        assert message.extendedTextMessage.text == "respondendo @5511977776666"
        context = message.extendedTextMessage.contextInfo
        assert context.stanzaID == "ORIG1" and context.participant == TO_JID
        assert context.quotedMessage == E.Message(conversation="pergunta")
        assert list(context.mentionedJID) == ["5511977776666@s.whatsapp.net"]
        body = response.json()
        assert body["messageType"] == "conversation" and body["message"] == {
            "conversation": "respondendo @5511977776666"
        }
        assert body["contextInfo"]["stanzaId"] == "ORIG1"
        assert body["contextInfo"]["quotedMessage"] == {"conversation": "pergunta"}


async def test_location_contact_reaction_poll_list_buttons(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _id, client = await open_instance(srv, name)
        post = lambda route, body: srv.client.post(f"/message/{route}/{name}", headers=srv.headers(), json=body)  # noqa: E731

        location = await post(
            "sendLocation", {"number": TO, "latitude": -23.5, "longitude": -46.6, "name": "Loja", "address": "Rua A"}
        )
        assert location.status_code == 201 and location.json()["messageType"] == "locationMessage"
        assert sent(client)[1].locationMessage == E.LocationMessage(
            degreesLatitude=-23.5, degreesLongitude=-46.6, name="Loja", address="Rua A"
        )

        one = await post(
            "sendContact", {"number": TO, "contact": [{"fullName": "Ana", "phoneNumber": "5511977776666"}]}
        )
        assert one.json()["messageType"] == "contactMessage"
        card = sent(client)[1].contactMessage
        assert card.displayName == "Ana" and "waid=5511977776666:5511977776666" in card.vcard
        two = await post(
            "sendContact",
            {"number": TO, "contact": [{"fullName": "Ana", "phoneNumber": "5511977776666"},
                                      {"fullName": "Bia", "phoneNumber": "5511966665555"}]},
        )  # fmt: skip
        assert two.json()["messageType"] == "contactsArrayMessage"
        assert sent(client)[1].contactsArrayMessage.displayName == "2 contacts"

        reaction = await post(
            "sendReaction", {"key": {"id": "ORIG1", "remoteJid": TO_JID, "fromMe": False}, "reaction": "👍"}
        )
        assert reaction.status_code == 201 and reaction.json()["messageType"] == "reactionMessage"
        react = sent(client)[1].reactionMessage
        assert react.key.ID == "ORIG1" and react.key.remoteJID == TO_JID and react.text == "👍"
        bad = await post(
            "sendReaction", {"key": {"id": "ORIG1", "remoteJid": TO_JID, "fromMe": False}, "reaction": "ok"}
        )
        assert bad.status_code == 400
        assert bad.json()["response"]["message"] == ["Reaction must be a single emoji or empty string"]

        poll = await post("sendPoll", {"number": TO, "name": "Cor?", "selectableCount": 1, "values": ["Azul", "Verde"]})
        assert poll.status_code == 201 and poll.json()["messageType"] == "pollCreationMessage"
        creation = sent(client)[1]
        assert [o.optionName for o in creation.pollCreationMessage.options] == ["Azul", "Verde"]
        assert creation.pollCreationMessage.selectableOptionsCount == 1
        assert len(creation.messageContextInfo.messageSecret) == 32

        listing = await post(
            "sendList",
            {"number": TO, "title": "Menu", "footerText": "rodapé", "buttonText": "Abrir", "description": "escolha",
             "sections": [{"title": "S1", "rows": [{"title": "R1", "rowId": "r1", "description": "d"}]}]},
        )  # fmt: skip
        assert listing.status_code == 201 and listing.json()["messageType"] == "listMessage"
        sent_list = sent(client)[1].listMessage
        assert sent_list.sections[0].rows[0].rowID == "r1" and sent_list.listType == E.ListMessage.SINGLE_SELECT

        buttons = await post(
            "sendButtons",
            {"number": TO, "title": "T", "description": "D", "footer": "F",
             "buttons": [{"type": "reply", "displayText": "Sim", "id": "yes"}]},
        )  # fmt: skip
        assert buttons.status_code == 201 and buttons.json()["messageType"] == "interactiveMessage"
        native = sent(client)[1].interactiveMessage.nativeFlowMessage.buttons[0]
        assert native.name == "quick_reply" and '"id": "yes"' in native.buttonParamsJSON
        mixed = await post(
            "sendButtons",
            {"number": TO, "buttons": [{"type": "reply", "displayText": "a"}, {"type": "url", "displayText": "b"}]},
        )
        assert mixed.status_code == 400
        assert mixed.json()["response"]["message"] == ["Reply buttons cannot be mixed with other button types"]


async def test_media_image_document_sticker_ptv(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        _id, client = await open_instance(srv, name)
        image = png_bytes()
        as_json = await srv.client.post(
            f"/message/sendMedia/{name}",
            headers=srv.headers(),
            json={"number": TO, "mediatype": "image", "media": base64.b64encode(image).decode(), "caption": "foto"},
        )
        assert as_json.status_code == 201, as_json.text
        sent_image = sent(client)[1].imageMessage
        assert (
            sent_image.caption == "foto" and sent_image.fileLength == len(image) and sent_image.mimetype == "image/png"
        )
        assert (sent_image.width, sent_image.height) == (40, 30) and sent_image.JPEGThumbnail
        body = as_json.json()
        assert body["messageType"] == "imageMessage"
        assert body["message"]["imageMessage"]["fileLength"] == {"low": len(image), "high": 0, "unsigned": True}
        assert body["message"]["imageMessage"]["fileSha256"]["0"] == sent_image.fileSHA256[0]
        assert client.calls_of("upload")[-1][0][0] == len(image)

        no_name = await srv.client.post(
            f"/message/sendMedia/{name}",
            headers=srv.headers(),
            json={"number": TO, "mediatype": "document", "media": base64.b64encode(b"%PDF-1.4").decode()},
        )
        assert no_name.status_code == 400
        assert no_name.json()["response"]["message"] == ["For base64 the file name must be informed."]
        garbage = await srv.client.post(
            f"/message/sendMedia/{name}",
            headers=srv.headers(),
            json={"number": TO, "mediatype": "image", "media": "???"},
        )
        assert garbage.status_code == 400
        assert garbage.json()["response"]["message"] == ["Owned media must be a url or base64"]

        multipart = await srv.client.post(
            f"/message/sendMedia/{name}",
            headers=srv.headers(),
            data={"number": TO, "mediatype": "document", "caption": "contrato"},
            files={"file": ("contrato.pdf", b"%PDF-1.4 test", "application/pdf")},
        )
        assert multipart.status_code == 201, multipart.text
        document = sent(client)[1].documentMessage
        assert document.fileName == "contrato.pdf" and document.caption == "contrato"
        assert document.mimetype == "application/pdf"

        sticker = await srv.client.post(
            f"/message/sendSticker/{name}",
            headers=srv.headers(),
            json={"number": TO, "sticker": base64.b64encode(image).decode()},
        )
        assert sticker.status_code == 201 and sticker.json()["messageType"] == "stickerMessage"
        assert sent(client)[1].stickerMessage.mimetype == "image/webp"
        webp_size = client.calls_of("upload")[-1][0][0]
        assert webp_size != len(image)  # converted, not the PNG as-is

        ptv = await srv.client.post(
            f"/message/sendPtv/{name}",
            headers=srv.headers(),
            json={"number": TO, "video": base64.b64encode(b"\x00\x00\x00\x18ftypmp42").decode()},
        )
        assert ptv.status_code == 201 and ptv.json()["messageType"] == "ptvMessage"
        assert len(sink.of("send.message", name)) == 4


async def test_whatsapp_audio_is_converted_to_ogg_opus(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _id, client = await open_instance(srv, name)
        response = await srv.client.post(
            f"/message/sendWhatsAppAudio/{name}",
            headers=srv.headers(),
            files={"file": ("voz.wav", wav_bytes(1.2), "audio/wav")},
            data={"number": TO},
        )
        assert response.status_code == 201, response.text
        audio = sent(client)[1].audioMessage
        assert audio.PTT is True and audio.mimetype == "audio/ogg; codecs=opus" and audio.seconds == 1
        assert response.json()["message"]["audioMessage"]["ptt"] is True
        assert response.json()["messageType"] == "audioMessage"
        missing = await srv.client.post(
            f"/message/sendWhatsAppAudio/{name}", headers=srv.headers(), json={"number": TO}
        )
        assert missing.status_code == 400
        assert missing.json()["response"]["message"] == ["Owned media must be a url, base64, or valid file with buffer"]


async def test_status_text(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _id, client = await open_instance(srv, name)
        post = lambda body: srv.client.post(f"/message/sendStatus/{name}", headers=srv.headers(), json=body)  # noqa: E731
        no_list = await post({"type": "text", "content": "oi", "backgroundColor": "#008000", "font": 1})
        assert no_list.json()["response"]["message"] == ["StatusJidList is required"]
        no_color = await post({"type": "text", "content": "oi", "font": 1, "allContacts": True})
        assert no_color.json()["response"]["message"] == ["Background color is required"]
        ok = await post({"type": "text", "content": "oi", "backgroundColor": "#008000", "font": 1, "allContacts": True})
        assert ok.status_code == 201, ok.text
        to, message = sent(client)
        assert to.User == "status" and to.Server == "broadcast"
        assert message.extendedTextMessage.text == "oi" and message.extendedTextMessage.font == 1
        assert message.extendedTextMessage.backgroundArgb == 0xFF008000
        assert ok.json()["key"]["remoteJid"] == "status@broadcast"


async def test_link_preview_unless_disabled(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _id, client = await open_instance(srv, name)
        post = lambda body: srv.client.post(f"/message/sendText/{name}", headers=srv.headers(), json=body)  # noqa: E731
        assert (await post({"number": TO, "text": "veja https://example.com/x"})).status_code == 201
        args, kwargs = client.calls_of("send_message")[-1]
        assert args[1] == "veja https://example.com/x" and kwargs["link_preview"] is True
        assert (
            await post({"number": TO, "text": "veja https://example.com/x", "linkPreview": False})
        ).status_code == 201
        args, kwargs = client.calls_of("send_message")[-1]
        assert args[1] == E.Message(conversation="veja https://example.com/x") and kwargs["link_preview"] is False


async def test_send_template_is_not_available_on_baileys(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        await open_instance(srv, name)
        response = await srv.client.post(
            f"/message/sendTemplate/{name}",
            headers=srv.headers(),
            json={"name": "t", "language": "pt_BR", "number": TO},
        )
        assert response.status_code == 500
        assert response.json() == {
            "status": 500,
            "error": "Internal Server Error",
            "response": {"message": ["Method not available in the Baileys service"]},
        }


async def test_quote_from_the_database_and_mentions_everyone(server_factory) -> None:
    from neonize.proto import Neonize_pb2 as N
    from neonize.utils.jid import build_jid

    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _id, client = await open_instance(srv, name)
        first = await srv.client.post(
            f"/message/sendText/{name}", headers=srv.headers(), json={"number": TO, "text": "primeira"}
        )
        first_id = first.json()["key"]["id"]
        reply = await srv.client.post(
            f"/message/sendText/{name}",
            headers=srv.headers(),
            json={
                "number": TO,
                "text": "resposta",
                "quoted": {"key": {"id": first_id, "remoteJid": TO_JID, "fromMe": True}},
            },
        )
        assert reply.status_code == 201, reply.text
        context = sent(client)[1].extendedTextMessage.contextInfo
        assert context.stanzaID == first_id and context.quotedMessage == E.Message(conversation="primeira")
        assert context.participant == "5511999990000@s.whatsapp.net"  # our own message: our JID

        group = "120363025555555555@g.us"
        client.answers["get_group_info"] = N.GroupInfo(
            JID=build_jid("120363025555555555", "g.us"),
            Participants=[
                N.GroupParticipant(JID=build_jid("5511911111111")),
                N.GroupParticipant(JID=build_jid("5511922222222")),
            ],
        )
        everyone = await srv.client.post(
            f"/message/sendText/{name}",
            headers=srv.headers(),
            json={"number": group, "text": "atenção", "mentionsEveryOne": True},
        )
        assert everyone.status_code == 201, everyone.text
        mentioned = list(sent(client)[1].extendedTextMessage.contextInfo.mentionedJID)
        assert mentioned == ["5511911111111@s.whatsapp.net", "5511922222222@s.whatsapp.net"]


async def test_send_message_carries_base64_when_the_webhook_asks(server_factory) -> None:
    import asyncio

    from tests.support.whatsmeow import client_of, eventually

    async with server_factory(**FAKE_ENV) as srv:
        sink = record(srv)
        name = unique()
        hook = {"url": "http://127.0.0.1:9/hook", "base64": True, "events": ["SEND_MESSAGE"]}
        created = await srv.create_instance(name, integration="WHATSAPP-BAILEYS", webhook=hook)
        instance_id = created["instance"]["instanceId"]
        connecting = asyncio.create_task(srv.client.get(f"/instance/connect/{name}", headers=srv.headers()))
        client = await client_of(instance_id)
        await client.push_qr("2@b64")
        await connecting
        await client.pair()
        await eventually(lambda: srv.services.registry.require(name).channel.state == "open")
        image = png_bytes()
        response = await srv.client.post(
            f"/message/sendMedia/{name}",
            headers=srv.headers(),
            json={"number": TO, "mediatype": "image", "media": base64.b64encode(image).decode()},
        )
        assert response.status_code == 201
        assert sink.of("send.message", name)[-1]["message"]["base64"] == base64.b64encode(image).decode()
        text = await srv.client.post(
            f"/message/sendText/{name}", headers=srv.headers(), json={"number": TO, "text": "x"}
        )
        assert "base64" not in text.json()["message"]


async def test_media_from_a_url(server_factory, tmp_path) -> None:
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    pdf = b"%PDF-1.4 from a url"
    (tmp_path / "relatorio.pdf").write_bytes(pdf)
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *_a: None  # type: ignore[attr-defined]
    files = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{files.server_address[1]}"
    try:
        async with server_factory(**FAKE_ENV) as srv:
            name = unique()
            _id, client = await open_instance(srv, name)
            ok = await srv.client.post(
                f"/message/sendMedia/{name}",
                headers=srv.headers(),
                json={"number": TO, "mediatype": "document", "media": f"{base}/relatorio.pdf"},
            )
            assert ok.status_code == 201, ok.text
            document = sent(client)[1].documentMessage
            assert document.fileName == "relatorio.pdf" and document.fileLength == len(pdf)
            assert document.mimetype == "application/pdf"
            missing = await srv.client.post(
                f"/message/sendMedia/{name}",
                headers=srv.headers(),
                json={"number": TO, "mediatype": "image", "media": f"{base}/nope.png"},
            )
            assert missing.status_code == 400
            assert missing.json()["response"]["message"] == ["Error: media download failed with HTTP 404"]
    finally:
        files.shutdown()


async def test_video_gets_duration_and_thumbnail_and_gif_sticker_stays_animated(server_factory, tmp_path) -> None:
    import asyncio

    from evolution_py.channels.whatsapp_web.ffmpeg import ffmpeg_command

    clip = tmp_path / "clip.mp4"
    made = await asyncio.create_subprocess_exec(
        ffmpeg_command(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
        "-pix_fmt", "yuv420p", str(clip),
    )  # fmt: skip
    assert await made.wait() == 0
    frames = [Image.new("RGB", (64, 64), color) for color in ((255, 0, 0), (0, 0, 255))]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _id, client = await open_instance(srv, name)
        video = await srv.client.post(
            f"/message/sendMedia/{name}",
            headers=srv.headers(),
            files={"file": ("clip.mp4", clip.read_bytes(), "video/mp4")},
            data={"number": TO, "mediatype": "video", "caption": "clipe"},
        )
        assert video.status_code == 201, video.text
        sent_video = sent(client)[1].videoMessage
        assert sent_video.seconds == 2 and sent_video.caption == "clipe" and sent_video.mimetype == "video/mp4"
        assert Image.open(io.BytesIO(sent_video.JPEGThumbnail)).size[0] <= 96
        sticker = await srv.client.post(
            f"/message/sendSticker/{name}",
            headers=srv.headers(),
            json={"number": TO, "sticker": base64.b64encode(gif.getvalue()).decode()},
        )
        assert sticker.status_code == 201, sticker.text
        assert sent(client)[1].stickerMessage.isAnimated is True


async def test_status_image_and_voice(server_factory) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        _id, client = await open_instance(srv, name)
        image = await srv.client.post(
            f"/message/sendStatus/{name}",
            headers=srv.headers(),
            json={"type": "image", "content": base64.b64encode(png_bytes()).decode(), "caption": "hoje",
                  "statusJidList": ["5511988887777"]},
        )  # fmt: skip
        assert image.status_code == 201, image.text
        to, message = sent(client)
        assert (to.User, to.Server) == ("status", "broadcast")
        assert message.imageMessage.caption == "hoje"
        voice = await srv.client.post(
            f"/message/sendStatus/{name}",
            headers=srv.headers(),
            files={"file": ("voz.wav", wav_bytes(1.0), "audio/wav")},
            data={"type": "audio", "allContacts": "true"},
        )
        assert voice.status_code == 201, voice.text
        audio = sent(client)[1].audioMessage
        assert audio.PTT is True and audio.mimetype == "audio/ogg; codecs=opus"


async def test_always_online_is_applied_on_connect(server_factory) -> None:
    from neonize.proto.Neonize_pb2 import Connected

    from tests.support.whatsmeow import client_of

    async with server_factory(**FAKE_ENV) as srv:
        name = unique()
        instance_id, first = await open_instance(srv, name)
        assert [a[0].value for a, _ in first.calls_of("send_presence")] == [b"unavailable"]
        saved = await srv.client.post(f"/settings/set/{name}", headers=srv.headers(), json={"alwaysOnline": True,
                                      "rejectCall": False, "groupsIgnore": False, "readMessages": False,
                                      "readStatus": False, "syncFullHistory": False})  # fmt: skip
        assert saved.status_code == 201, saved.text
        await srv.client.post(f"/instance/restart/{name}", headers=srv.headers())
        second = await client_of(instance_id, count=2)
        await second.push(Connected(status=True))
        assert [a[0].value for a, _ in second.calls_of("send_presence")] == [b"available"]


class RecordingHttpProxy:
    """A real forward HTTP proxy on loopback: it records each request line (a proxied request names
    the absolute URL) and relays the request to the origin server, answering what the origin said."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.port = 0
        self._server: Any = None

    async def __aenter__(self) -> RecordingHttpProxy:
        import asyncio

        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _relay(self, reader: Any, writer: Any) -> None:
        import asyncio
        from urllib.parse import urlsplit

        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *header_lines = head.split("\r\n")
            method, target, _version = request_line.split(" ", 2)
            self.requests.append(f"{method} {target}")
            url = urlsplit(target)
            origin_reader, origin_writer = await asyncio.open_connection(url.hostname, url.port or 80)
            path = url.path + (f"?{url.query}" if url.query else "")
            kept = [h for h in header_lines if h and not h.lower().startswith(("proxy-", "connection:"))]
            origin_writer.write(
                (
                    f"{method} {path} HTTP/1.1\r\n" + "".join(f"{h}\r\n" for h in kept) + "Connection: close\r\n\r\n"
                ).encode("latin-1")
            )
            await origin_writer.drain()
            while chunk := await origin_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
            origin_writer.close()
        finally:
            writer.close()


async def test_send_media_fetches_a_url_through_the_instance_proxy(server_factory, tmp_path) -> None:
    """A media URL is fetched through the instance's proxy (as the WhatsApp connection itself is),
    never straight from the server's own network."""
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    image = png_bytes()
    (tmp_path / "foto.png").write_bytes(image)
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *_a: None  # type: ignore[attr-defined]
    files = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    media_url = f"http://127.0.0.1:{files.server_address[1]}/foto.png"
    try:
        async with server_factory(**FAKE_ENV) as srv, RecordingHttpProxy() as proxy:
            name = unique()
            _id, client = await open_instance(srv, name)
            configured = await srv.client.post(
                f"/proxy/set/{name}",
                headers=srv.headers(),
                json={"enabled": True, "host": "127.0.0.1", "port": str(proxy.port), "protocol": "http"},
            )
            assert configured.status_code == 201, configured.text
            response = await srv.client.post(
                f"/message/sendMedia/{name}",
                headers=srv.headers(),
                json={"number": TO, "mediatype": "image", "media": media_url, "caption": "via proxy"},
            )
            assert response.status_code == 201, response.text
            assert proxy.requests == [f"GET {media_url}"]
            assert client.calls_of("upload")[-1][0][0] == len(image)
            assert sent(client)[1].imageMessage.caption == "via proxy"
    finally:
        files.shutdown()
