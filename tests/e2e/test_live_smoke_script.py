"""scripts/live_smoke.py runs end to end against a server on the fake neonize client (the phone's part
— scanning and pairing — is played by the test)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.support.fake_neonize import FakeClient
from tests.support.server import free_port, unique
from tests.support.whatsmeow import FAKE_ENV, eventually

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "live_smoke.py"


async def test_live_smoke_script_against_the_fake(server_factory, tmp_path: Path) -> None:
    async with server_factory(**FAKE_ENV) as srv:
        name = unique("smoke")
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(SCRIPT), "--url", srv.base_url, "--apikey", srv.api_key, "--to", "5511988887777",
            "--instance", name, "--listen", f"127.0.0.1:{free_port()}", "--wait", "0", "--logout",
            cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        runtime = await eventually(lambda: srv.services.registry.get(name), within=20)
        await eventually(lambda: FakeClient.all_of(runtime.id) and FakeClient.of(runtime.id).loop, within=20)
        client = FakeClient.of(runtime.id)
        await client.push_qr("2@smoke")
        await asyncio.sleep(0.5)
        await client.pair()
        output, _ = await asyncio.wait_for(process.communicate(), 120)
        text = output.decode()
        assert process.returncode == 0, text
        assert (tmp_path / "smoke-qr.png").exists()
        sent = [args[1] for args, _ in client.calls_of("send_message")]
        assert "link: https://github.com" in sent  # the link-preview path hands neonize the plain text
        fields = {field.name for message in sent if not isinstance(message, str) for field, _ in message.ListFields()}
        assert fields == {
            "conversation", "imageMessage", "documentMessage", "audioMessage", "stickerMessage", "locationMessage",
            "contactMessage", "pollCreationMessage", "messageContextInfo", "listMessage", "interactiveMessage",
            "reactionMessage", "extendedTextMessage",
        }  # fmt: skip
        assert "logout" in client.names()
        assert "summary:" in text
