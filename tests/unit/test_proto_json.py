"""whatsmeow protobuf ↔ Baileys JSON names, bytes and longs."""

from __future__ import annotations

from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import ImageMessage, Message

from evolution_py.channels.whatsapp_web.field_renames import baileys_name
from evolution_py.channels.whatsapp_web.proto_json import from_baileys_json, to_baileys_json


def test_names() -> None:
    pairs = {
        "URL": "url",
        "remoteJID": "remoteJid",
        "fileSHA256": "fileSha256",
        "JPEGThumbnail": "jpegThumbnail",
        "stanzaID": "stanzaId",
        "senderTimestampMS": "senderTimestampMs",
        "PTT": "ptt",
        "thumbnailCDNURL": "thumbnailCdnUrl",
        "keyIDs": "keyIds",
        "deviceID": "deviceID",
        "conversation": "conversation",
        "mediaKey": "mediaKey",
    }
    assert {name: baileys_name(name) for name in pairs} == pairs


def test_round_trip_of_a_stored_media_message() -> None:
    stored = {
        "imageMessage": {
            "url": "https://mmg.whatsapp.net/x",
            "mimetype": "image/jpeg",
            "fileSha256": {"0": 1, "1": 2, "2": 255},
            "mediaKey": "AQID",
            "fileLength": {"low": 12345, "high": 0, "unsigned": True},
            "directPath": "/v/t62/x",
            "unknownField": 1,
        }
    }
    message = from_baileys_json(stored, Message())
    assert isinstance(message, Message)
    image = message.imageMessage
    assert image.URL == "https://mmg.whatsapp.net/x"
    assert image.fileSHA256 == bytes([1, 2, 255])
    assert image.mediaKey == bytes([1, 2, 3])
    assert image.fileLength == 12345
    back = to_baileys_json(Message(imageMessage=ImageMessage(URL="u", fileSHA256=b"\x01", fileLength=7)))
    assert back == {"imageMessage": {"url": "u", "fileSha256": "AQ==", "fileLength": "7"}}
