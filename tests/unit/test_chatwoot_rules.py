"""The Chatwoot integration's pure rules: markdown both ways, Brazilian numbers, ignoreJids, @lid."""

from __future__ import annotations

from evolution_py.integrations.chatwoot.conversations import brazil_variants
from evolution_py.integrations.chatwoot.integration import ignored
from evolution_py.integrations.chatwoot.markdown import to_chatwoot, to_whatsapp
from evolution_py.integrations.chatwoot.mirror import phone_jid
from evolution_py.integrations.chatwoot.settings import ChatwootSettings, webhook_secret
from evolution_py.integrations.chatwoot.validation import is_url


def test_markdown_both_ways() -> None:
    assert to_chatwoot("*bold* _it_ ~gone~ 2 * 3 * 4") == "**bold** *it* ~~gone~~ 2 * 3 * 4"
    assert to_whatsapp("**bold** *it* ~~gone~~ `code`") == "*bold* _it_ ~gone~ ```code```"
    assert to_whatsapp(to_chatwoot("*a* _b_ ~c~")) == "*a* _b_ ~c~"


def test_brazil_variants() -> None:
    assert brazil_variants("5511987654321") == ["5511987654321", "551187654321"]
    assert brazil_variants("551187654321") == ["5511987654321", "551187654321"]
    assert brazil_variants("14155550100") == ["14155550100"]


def test_ignore_jids() -> None:
    settings = ChatwootSettings(ignoreJids=["@g.us", "5511000000000@s.whatsapp.net"])
    assert ignored("1203630001@g.us", settings)
    assert ignored("5511000000000@s.whatsapp.net", settings)
    assert not ignored("5511000000001@s.whatsapp.net", settings)
    assert ignored("status@broadcast", ChatwootSettings())


def test_lid_and_bare_numbers_map_to_the_phone_jid() -> None:
    assert phone_jid({"remoteJid": "123@lid", "remoteJidAlt": "5511@s.whatsapp.net"}) == "5511@s.whatsapp.net"
    assert phone_jid({"remoteJid": "123@lid"}) == "123@lid"  # unknown number: the lid stays
    assert phone_jid({"remoteJid": "+55 11 98888-7777"}) == "5511988887777@s.whatsapp.net"


def test_urls_and_secrets() -> None:
    assert is_url("chatwoot.local") and is_url("https://cw.example:3000/x") and is_url("http://10.0.0.5")
    assert not is_url("not a url") and not is_url("ftp://x") and not is_url("http://x:port") and not is_url("")
    assert webhook_secret("id-1", "token") != webhook_secret("id-2", "token")
    assert webhook_secret("id-1", "token") != webhook_secret("id-1", "other")
