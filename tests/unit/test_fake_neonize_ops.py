"""The fake client refuses what the real neonize client would refuse, so feature tests can fail."""

from __future__ import annotations

import pytest

from tests.support.fake_neonize_ops import FakeOpsClient, jid


async def test_only_real_methods_with_real_signatures() -> None:
    client = FakeOpsClient()
    with pytest.raises(AttributeError):
        client.archive_chat  # noqa: B018 - neonize has no such method
    with pytest.raises(TypeError):
        await client.leave_group()
    with pytest.raises(TypeError):
        await client.mark_read("A", jid("1@s.whatsapp.net"))  # chat/sender/receipt are keyword-only
    client.answer("leave_group", None)
    assert await client.leave_group(jid("1@g.us")) is None
    assert [c.name for c in client.calls] == ["leave_group"]
