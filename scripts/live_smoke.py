"""Live smoke test of the WHATSAPP-BAILEYS channel: a person with a phone runs it against a running
evolution-py server (which must reach WhatsApp) to link a device, send every message type, and see
the events that come back. Nothing here runs in CI: it needs a real account.

    PYTHONPATH=src python scripts/live_smoke.py \
        --url http://127.0.0.1:8080 --apikey <AUTHENTICATION_API_KEY> \
        --to 5511988887777 [--instance smoke] [--pair 5511999990000] [--listen 127.0.0.1:8090]

What it does, in order:
1. creates the instance (WHATSAPP-BAILEYS) with a webhook pointing at a small receiver this script
   runs on --listen (the server must be able to reach it), subscribed to every event;
2. connects: prints the QR in the terminal and saves it as smoke-qr.png (or, with --pair, prints
   the pairing code to type in WhatsApp > Linked devices > Link with phone number);
3. waits until the state is `open`;
4. sends to --to: text, text with link, image, document, voice note (ffmpeg-converted), sticker,
   location, contact, poll, list, buttons, a reaction to the first text, and a text status;
5. asks you to reply from the phone (text, photo, audio, a reaction, a call) and prints every event
   the webhook receives for --wait seconds;
6. prints a summary (route → HTTP status) and leaves the instance linked (use --logout to end it).

Check by eye on the phone that each message arrived, and in the event log that `messages.upsert`,
`messages.update` (delivered/read), `presence.update`, `call`, `contacts.*` and `chats.*` appear.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import math
import struct
import sys
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

EVENTS = [
    "QRCODE_UPDATED", "CONNECTION_UPDATE", "MESSAGES_SET", "MESSAGES_UPSERT", "MESSAGES_UPDATE", "MESSAGES_DELETE",
    "MESSAGES_EDITED", "SEND_MESSAGE", "CONTACTS_SET", "CONTACTS_UPSERT", "CONTACTS_UPDATE", "PRESENCE_UPDATE",
    "CHATS_SET", "CHATS_UPSERT", "CHATS_UPDATE", "CHATS_DELETE", "GROUPS_UPSERT", "GROUP_UPDATE",
    "GROUP_PARTICIPANTS_UPDATE", "CALL", "LOGOUT_INSTANCE",
]  # fmt: skip


def start_receiver(listen: str) -> ThreadingHTTPServer:
    host, port = listen.rsplit(":", 1)

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.end_headers()
            try:
                event = json.loads(body)
            except ValueError:
                return
            data = json.dumps(event.get("data"), ensure_ascii=False)
            print(f"  ← {event.get('event'):<26} {data[:300]}{'…' if len(data) > 300 else ''}", flush=True)

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, int(port)), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def sample_png() -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (320, 200), (25, 135, 84))
    ImageDraw.Draw(picture).text((20, 90), "evolution-py live smoke", fill=(255, 255, 255))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def sample_wav(seconds: float = 2.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(16000)
        audio.writeframes(
            b"".join(
                struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / 16000)))
                for i in range(int(16000 * seconds))
            )
        )
    return out.getvalue()


def show_qr(code: str) -> None:
    import qrcode

    qr = qrcode.QRCode(border=2)
    qr.add_data(code)
    qr.print_ascii(invert=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--apikey", required=True)
    parser.add_argument("--to", required=True, help="the phone number that receives the test messages")
    parser.add_argument("--instance", default="smoke")
    parser.add_argument("--pair", help="link with a pairing code for this phone number instead of a QR")
    parser.add_argument("--listen", default="127.0.0.1:8090", help="host:port of the local webhook receiver")
    parser.add_argument("--wait", type=int, default=90, help="seconds to watch inbound events at the end")
    parser.add_argument("--logout", action="store_true", help="log the instance out at the end")
    args = parser.parse_args()

    receiver = start_receiver(args.listen)
    http = httpx.Client(base_url=args.url, headers={"apikey": args.apikey}, timeout=120)
    name = args.instance
    results: list[tuple[str, int]] = []

    def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = http.request(method, path, **kwargs)
        results.append((f"{method} {path.split('/{')[0]}", response.status_code))
        print(f"→ {method} {path} {response.status_code} {response.text[:200]}", flush=True)
        return response

    if http.get(f"/instance/connectionState/{name}").status_code == 404:
        call(
            "POST",
            "/instance/create",
            json={
                "instanceName": name,
                "integration": "WHATSAPP-BAILEYS",
                "webhook": {"url": f"http://{args.listen}/hook", "events": EVENTS, "byEvents": False, "base64": False},
            },
        )
    params = {"number": args.pair} if args.pair else None
    answer = call("GET", f"/instance/connect/{name}", params=params).json()
    if answer.get("pairingCode"):
        print(f"\nPairing code: {answer['pairingCode']}  (WhatsApp > Linked devices > Link with phone number)\n")
    elif answer.get("code"):
        show_qr(answer["code"])
        with open("smoke-qr.png", "wb") as handle:
            handle.write(base64.b64decode(answer["base64"].split(",", 1)[1]))
        print("QR saved as smoke-qr.png; scan it in WhatsApp > Linked devices")
    for _ in range(300):
        state = http.get(f"/instance/connectionState/{name}").json()["instance"].get("state")
        if state == "open":
            break
        latest = http.get(f"/instance/connect/{name}").json()
        if latest.get("code") and latest.get("code") != answer.get("code") and not args.pair:
            answer = latest
            show_qr(answer["code"])
        time.sleep(2)
    else:
        print("the instance did not open in 10 minutes", file=sys.stderr)
        return 1
    print("\nconnected; sending every message type\n")

    to = args.to
    png = base64.b64encode(sample_png()).decode()
    first = call("POST", f"/message/sendText/{name}", json={"number": to, "text": "evolution-py live smoke: text"})
    call("POST", f"/message/sendText/{name}", json={"number": to, "text": "link: https://github.com", "delay": 1500})
    call("POST", f"/message/sendMedia/{name}",
         json={"number": to, "mediatype": "image", "media": png, "caption": "image caption"})  # fmt: skip
    call("POST", f"/message/sendMedia/{name}",
         files={"file": ("smoke.txt", b"evolution-py live smoke document\n", "text/plain")},
         data={"number": to, "mediatype": "document", "caption": "document caption"})  # fmt: skip
    call("POST", f"/message/sendWhatsAppAudio/{name}",
         files={"file": ("tone.wav", sample_wav(), "audio/wav")}, data={"number": to})  # fmt: skip
    call("POST", f"/message/sendSticker/{name}", json={"number": to, "sticker": png})
    masp = {"latitude": -23.5614, "longitude": -46.6559, "name": "MASP", "address": "Av. Paulista"}
    call("POST", f"/message/sendLocation/{name}", json={"number": to, **masp})
    call("POST", f"/message/sendContact/{name}",
         json={"number": to, "contact": [{"fullName": "Smoke Test", "phoneNumber": "+55 11 99999-0000"}]})  # fmt: skip
    call("POST", f"/message/sendPoll/{name}",
         json={"number": to, "name": "Smoke poll", "selectableCount": 1, "values": ["yes", "no"]})  # fmt: skip
    call("POST", f"/message/sendList/{name}",
         json={"number": to, "title": "Smoke list", "footerText": "footer", "buttonText": "Open",
               "sections": [{"title": "Section", "rows": [{"title": "Row", "rowId": "r1"}]}]})  # fmt: skip
    call("POST", f"/message/sendButtons/{name}",
         json={"number": to, "title": "Smoke buttons", "description": "pick one",
               "buttons": [{"type": "reply", "displayText": "OK", "id": "ok"}]})  # fmt: skip
    if first.status_code == 201:
        call("POST", f"/message/sendReaction/{name}", json={"key": first.json()["key"], "reaction": "👍"})
    call("POST", f"/message/sendStatus/{name}",
         json={"type": "text", "content": "evolution-py smoke status", "backgroundColor": "#198754", "font": 1,
               "allContacts": True})  # fmt: skip
    call("POST", f"/instance/setPresence/{name}", json={"presence": "available"})

    print(f"\nnow reply from {to}: a text, a photo, a voice note, a reaction, and call the linked number;")
    print(f"watching events for {args.wait} s …\n")
    time.sleep(args.wait)
    if args.logout:
        call("DELETE", f"/instance/logout/{name}")
    receiver.shutdown()
    print("\nsummary:")
    for route, status in results:
        print(f"  {status}  {route}")
    return 0 if all(status < 400 for _route, status in results) else 2


if __name__ == "__main__":
    sys.exit(main())
