from evolution_py.channels.jid import create_jid, is_group, user_part


def test_phone_numbers_become_user_jids() -> None:
    assert create_jid("+55 (11) 99999-0000") == "5511999990000@s.whatsapp.net"
    assert create_jid("1 415 555 0100") == "14155550100@s.whatsapp.net"


def test_jids_pass_through_without_device_suffix() -> None:
    assert create_jid("5511999990000:12@s.whatsapp.net") == "5511999990000@s.whatsapp.net"
    assert create_jid("120363025246125888@g.us") == "120363025246125888@g.us"
    assert create_jid("12345@lid") == "12345@lid"
    assert create_jid("status@broadcast") == "status@broadcast"


def test_group_ids_without_suffix() -> None:
    assert create_jid("120363025246125888") == "120363025246125888@g.us"
    assert create_jid("5511999990000-1600000000") == "5511999990000-1600000000@g.us"


def test_brazil_ninth_digit_rule() -> None:
    assert create_jid("5511987654321") == "5511987654321@s.whatsapp.net"  # DDD 11 < 31: keep
    assert create_jid("5531987654321") == "553187654321@s.whatsapp.net"  # DDD 31, local 8: drop
    assert create_jid("5531961234567") == "5531961234567@s.whatsapp.net"  # first local digit 6 < 7: keep


def test_mexico_and_argentina_prefix() -> None:
    assert create_jid("5215512345678") == "525512345678@s.whatsapp.net"
    assert create_jid("5491112345678") == "541112345678@s.whatsapp.net"


def test_helpers() -> None:
    assert is_group("1@g.us") and not is_group("1@s.whatsapp.net")
    assert user_part("5511:3@s.whatsapp.net") == "5511"
